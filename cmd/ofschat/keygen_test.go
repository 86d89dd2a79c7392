package main

import (
	"crypto/sha1"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// readIdentity parses dir/private.pem and dir/cert.pem with pkg/ofs.
func readIdentity(t *testing.T, dir string) (keyPEM []byte, creds *ofs.Credentials) {
	t.Helper()
	keyPEM, err := os.ReadFile(filepath.Join(dir, "private.pem"))
	if err != nil {
		t.Fatalf("reading private.pem: %v", err)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, "cert.pem"))
	if err != nil {
		t.Fatalf("reading cert.pem: %v", err)
	}
	key, err := ofs.ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatalf("ParsePrivateKey(private.pem): %v", err)
	}
	cert, err := ofs.ParseCertificate(certPEM)
	if err != nil {
		t.Fatalf("ParseCertificate(cert.pem): %v", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		t.Fatal("cert.pem is not the certificate of private.pem")
	}
	return keyPEM, &ofs.Credentials{PrivateKey: key, Certificate: cert}
}

func TestKeygenWritesPair(t *testing.T) {
	dir := t.TempDir()
	res := runOfschat(t, nil, "", "keygen", "--dir", dir, "--subject", "/CN=ofs-startchat/O=Acme",
		"--days", "90")
	if res.code != exitOK {
		t.Fatalf("keygen exit code = %d; output:\n%s", res.code, res.output())
	}
	keyPEM, creds := readIdentity(t, dir)
	if !strings.HasPrefix(string(keyPEM), "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("private.pem does not start with an unencrypted PKCS#8 header")
	}
	info, err := os.Stat(filepath.Join(dir, "private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("private.pem mode = %04o, want 0600", mode)
	}
	cert := creds.Certificate
	if bits := creds.PrivateKey.N.BitLen(); bits != 2048 {
		t.Errorf("key size = %d bits, want 2048", bits)
	}
	if cert.Subject.String() != "CN=ofs-startchat,O=Acme" {
		t.Errorf("subject = %q, want CN=ofs-startchat,O=Acme", cert.Subject)
	}
	if days := time.Until(cert.NotAfter).Hours() / 24; days < 89.9 || days > 90.1 {
		t.Errorf("certificate expires in %.1f days, want 90", days)
	}

	sha1Sum := sha1.Sum(cert.Raw)
	sha256Sum := sha256.Sum256(cert.Raw)
	mustContain(t, res.stdout,
		"SHA-1 thumbprint    "+thumbprint(sha1Sum[:]),
		"SHA-256 thumbprint  "+thumbprint(sha256Sum[:]),
		"expires             "+cert.NotAfter.UTC().Format(timeLayout)+" (in 90 days)",
		"Configuration > Applications", `"Authenticate using JWT assertion"`, "upload "+filepath.Join(dir, "cert.pem"))
	assertNoLeak(t, res.output(), keyPEM)
}

func TestKeygenKeepsExistingFiles(t *testing.T) {
	dir := t.TempDir()
	if res := runOfschat(t, nil, "", "keygen", "--dir", dir); res.code != exitOK {
		t.Fatalf("first keygen exit code = %d; output:\n%s", res.code, res.output())
	}
	before, err := os.ReadFile(filepath.Join(dir, "private.pem"))
	if err != nil {
		t.Fatal(err)
	}

	res := runOfschat(t, nil, "", "keygen", "--dir", dir)
	if res.code != exitFailed {
		t.Errorf("second keygen exit code = %d, want 1", res.code)
	}
	mustContain(t, res.stderr, "private.pem already exists", "--force")
	after, _ := os.ReadFile(filepath.Join(dir, "private.pem"))
	if string(after) != string(before) {
		t.Error("keygen without --force changed private.pem")
	}

	// A certificate alone also stops keygen: it may be the one uploaded to OFS.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "cert.pem"), []byte("uploaded"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = runOfschat(t, nil, "", "keygen", "--dir", other)
	if res.code != exitFailed {
		t.Errorf("keygen next to cert.pem exit code = %d, want 1", res.code)
	}
	if _, err := os.Stat(filepath.Join(other, "private.pem")); err == nil {
		t.Error("keygen wrote private.pem next to an existing cert.pem")
	}

	// Make the old key readable by others, to see that --force resets the mode.
	if err := os.Chmod(filepath.Join(dir, "private.pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = runOfschat(t, nil, "", "keygen", "--dir", dir, "--force")
	if res.code != exitOK {
		t.Fatalf("keygen --force exit code = %d; output:\n%s", res.code, res.output())
	}
	after, _ = os.ReadFile(filepath.Join(dir, "private.pem"))
	if string(after) == string(before) {
		t.Error("keygen --force kept the old private.pem")
	}
	info, err := os.Stat(filepath.Join(dir, "private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("private.pem mode after --force = %04o, want 0600", mode)
	}
	readIdentity(t, dir)
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) > 0 {
		t.Errorf("keygen --force left temporary files: %v", leftovers)
	}
}

func TestKeygen4096Bits(t *testing.T) {
	dir := t.TempDir()
	res := runOfschat(t, nil, "", "keygen", "--dir", dir, "--bits", "4096")
	if res.code != exitOK {
		t.Fatalf("keygen --bits 4096 exit code = %d; output:\n%s", res.code, res.output())
	}
	_, creds := readIdentity(t, dir)
	if bits := creds.PrivateKey.N.BitLen(); bits != 4096 {
		t.Errorf("key size = %d bits, want 4096", bits)
	}
	mustContain(t, res.stdout, "RSA 4096 bits")
}
