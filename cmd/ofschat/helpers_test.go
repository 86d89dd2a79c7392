package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// clientSecret is the OFS application's client secret in these tests.
const clientSecret = "cl13nt-s3cret-value"

// result is what one ofschat run printed and returned.
type result struct {
	code   int
	stdout string
	stderr string
}

// output returns stdout and stderr together.
func (r result) output() string { return r.stdout + r.stderr }

// runOfschat runs the ofschat command line args in this process with
// captured output. Environment variables come from vars only, so that the
// caller's OFS_SECRET_ID cannot leak in. The AWS SDK reads the process
// environment, which tests set with t.Setenv.
func runOfschat(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(name string) string { return vars[name] },
		now:    time.Now,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := run(ctx, e, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

var (
	identitiesOnce sync.Once
	identities     [2]*localstack.Identity
	identitiesErr  error
)

// testIdentities returns two identities for localstack.DefaultUser with
// distinct keys and certificates valid for a year, generated once per test
// binary because RSA key generation is slow under -race.
func testIdentities(t *testing.T) (*localstack.Identity, *localstack.Identity) {
	t.Helper()
	identitiesOnce.Do(func() {
		for i := range identities {
			generated, err := ofs.GenerateIdentity(2048, localstack.DefaultUser, 365*24*time.Hour)
			if err != nil {
				identitiesErr = err
				return
			}
			identities[i] = &localstack.Identity{User: localstack.DefaultUser, Key: generated.Key,
				PrivateKeyPEM: generated.PrivateKeyPEM, CertificatePEM: generated.CertificatePEM}
		}
	})
	if identitiesErr != nil {
		t.Fatalf("GenerateIdentity: %v", identitiesErr)
	}
	return identities[0], identities[1]
}

// startEmulator serves an emulator that trusts id's certificate, has the
// users dispatcher1, tech17 and tech23 and helpdesk 5, and requires
// clientSecret.
func startEmulator(t *testing.T, id *localstack.Identity) *localstack.OFS {
	t.Helper()
	return localstacktest.Emulator(t, emulator.Config{ClientSecret: clientSecret}, id)
}

// secretFields returns the secret JSON members for id with clientSecret,
// as a map that tests change before writing it.
func secretFields(t *testing.T, id *localstack.Identity) map[string]string {
	t.Helper()
	var fields map[string]string
	if err := json.Unmarshal(id.SecretJSON(localstack.DefaultInstance, localstack.DefaultClientID,
		clientSecret), &fields); err != nil {
		t.Fatalf("decoding SecretJSON: %v", err)
	}
	return fields
}

// writeSecretFile writes fields as JSON to a new file with mode 0600 and
// returns its path. A field with an empty value is left out.
func writeSecretFile(t *testing.T, fields map[string]string) string {
	t.Helper()
	kept := map[string]string{}
	for name, value := range fields {
		if value != "" {
			kept[name] = value
		}
	}
	data, err := json.Marshal(kept)
	if err != nil {
		t.Fatalf("encoding the secret: %v", err)
	}
	path := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("writing the secret file: %v", err)
	}
	return path
}

// keyBody returns the base64 body of a PEM block, without line breaks.
func keyBody(t *testing.T, pemData []byte) string {
	t.Helper()
	block, _ := pem.Decode(pemData)
	if block == nil {
		t.Fatal("no PEM block in the key")
	}
	lines := strings.Split(strings.TrimSpace(string(pemData)), "\n")
	return strings.Join(lines[1:len(lines)-1], "")
}

// assertNoLeak fails when output contains any of the credentials: the
// private key body (any of its PEM lines, or the body folded onto one line),
// the client secret, or a token or assertion from secrets.
func assertNoLeak(t *testing.T, output string, keyPEM []byte, secrets ...string) {
	t.Helper()
	body := keyBody(t, keyPEM)
	if strings.Contains(output, body) {
		t.Errorf("output contains the private key body:\n%s", output)
	}
	for _, line := range strings.Split(string(keyPEM), "\n") {
		if len(line) >= 40 && strings.Contains(output, line) {
			t.Errorf("output contains a line of the private key:\n%s", output)
			break
		}
	}
	for _, secret := range append([]string{clientSecret}, secrets...) {
		if secret != "" && strings.Contains(output, secret) {
			t.Errorf("output contains the credential %.12q…:\n%s", secret, output)
		}
	}
}

// assertions returns every assertion that the emulator received.
func assertions(server *localstack.OFS) []string {
	var all []string
	for _, req := range server.Emulator.Requests() {
		if assertion := req.Form.Get("assertion"); assertion != "" {
			all = append(all, assertion)
		}
	}
	return all
}

// mustContain fails for each want that text lacks.
func mustContain(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// useMoto starts moto and points the AWS SDK of this process at it with
// fake credentials, for the rest of the test.
func useMoto(t *testing.T) *localstack.Moto {
	t.Helper()
	moto := localstacktest.Moto(t)
	for name, value := range localstack.AWSEnv(moto.URL()) {
		t.Setenv(name, value)
	}
	t.Setenv("AWS_PROFILE", "")
	return moto
}

// mustCertificate parses id's certificate.
func mustCertificate(t *testing.T, id *localstack.Identity) *x509.Certificate {
	t.Helper()
	cert, err := ofs.ParseCertificate(id.CertificatePEM)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	return cert
}
