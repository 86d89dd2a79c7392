package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// keyFiles writes id's key and certificate as keygen would and returns
// their paths.
func keyFiles(t *testing.T, id *localstack.Identity) (keyPath, certPath string) {
	t.Helper()
	dir := t.TempDir()
	keyPath, certPath = filepath.Join(dir, "private.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyPath, id.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, id.CertificatePEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return keyPath, certPath
}

// secretArgs are the secret subcommand's flags for id, to which tests add
// a destination.
func secretArgs(t *testing.T, id *localstack.Identity) []string {
	t.Helper()
	keyPath, certPath := keyFiles(t, id)
	return []string{"secret", "--instance", "acme.test", "--client-id", "startchat",
		"--user", "dispatcher1", "--private-key", keyPath, "--cert", certPath}
}

func TestSecretWritesFile(t *testing.T) {
	id, _ := testIdentities(t)
	out := filepath.Join(t.TempDir(), "secret.json")
	args := append(secretArgs(t, id), "--out", out, "--client-secret-file", "-")
	res := runOfschat(t, nil, clientSecret+"\n", args...)
	if res.code != exitOK {
		t.Fatalf("secret exit code = %d; output:\n%s", res.code, res.output())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("reading --out: %v", err)
	}
	creds, err := ofs.ParseCredentials(data)
	if err != nil {
		t.Fatalf("ParseCredentials(--out file): %v", err)
	}
	if creds.ClientSecret != clientSecret || creds.User != "dispatcher1" || creds.Audience() != "ofsc:acme.test:startchat" {
		t.Errorf("credentials = client secret %t, user %q, aud %q; want the flags' values",
			creds.ClientSecret == clientSecret, creds.User, creds.Audience())
	}
	if !creds.PrivateKey.Equal(id.Key) || creds.Certificate == nil {
		t.Error("the file does not hold the key and the certificate")
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("--out mode = %04o, want 0600", mode)
	}
	mustContain(t, res.stdout, "clientSecret   set, from -", "assertion aud  ofsc:acme.test:startchat",
		"Wrote "+out+" (mode 0600).")
	assertNoLeak(t, res.output(), id.PrivateKeyPEM)

	again := runOfschat(t, nil, "", append(secretArgs(t, id), "--out", out)...)
	if again.code != exitFailed {
		t.Errorf("secret onto an existing --out exit code = %d, want 1", again.code)
	}
	mustContain(t, again.stderr, "already exists; pass --force")
	if forced := runOfschat(t, nil, "", append(secretArgs(t, id), "--out", out, "--force")...); forced.code != exitOK {
		t.Errorf("secret --force exit code = %d; output:\n%s", forced.code, forced.output())
	}
}

func TestSecretRejectsBrokenInput(t *testing.T) {
	id, other := testIdentities(t)
	_, otherCert := keyFiles(t, other)
	encrypted := filepath.Join(t.TempDir(), "encrypted.pem")
	if err := os.WriteFile(encrypted, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAQID\n"+
		"-----END ENCRYPTED PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptySecret := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(emptySecret, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		extra   []string
		wantErr string
	}{
		{"certificate of another key", []string{"--cert", otherCert},
			"the secret would not work, so nothing was written: ofs: credentials: certificate: the certificate does not belong to privateKey"},
		{"encrypted key", []string{"--private-key", encrypted}, "privateKey: the key is encrypted"},
		{"missing key file", []string{"--private-key", "/nonexistent/private.pem"}, "reading --private-key"},
		{"empty client secret", []string{"--client-secret-file", emptySecret}, "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "secret.json")
			args := append(append(secretArgs(t, id), tt.extra...), "--out", out)
			res := runOfschat(t, nil, "", args...)
			if res.code != exitFailed {
				t.Errorf("exit code = %d, want 1; output:\n%s", res.code, res.output())
			}
			mustContain(t, res.stderr, tt.wantErr)
			if _, err := os.Stat(out); err == nil {
				t.Error("a broken secret was written")
			}
		})
	}
}

func TestSecretWithoutCertificate(t *testing.T) {
	id, _ := testIdentities(t)
	out := filepath.Join(t.TempDir(), "secret.json")
	res := runOfschat(t, nil, "", append(secretArgs(t, id), "--cert", "", "--application-id", "best_app",
		"--out", out)...)
	if res.code != exitOK {
		t.Fatalf("secret exit code = %d; output:\n%s", res.code, res.output())
	}
	data, _ := os.ReadFile(out)
	var fields map[string]string
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	if _, ok := fields["certificate"]; ok {
		t.Error("secret has a certificate although --cert is empty")
	}
	if fields["applicationId"] != "best_app" {
		t.Errorf("applicationId = %q, want best_app", fields["applicationId"])
	}
	mustContain(t, res.stdout, "certificate    (not set)", "assertion aud  ofsc:acme.test:best_app")
}

func TestSecretPutCreatesThenUpdates(t *testing.T) {
	moto := useMoto(t)
	id, other := testIdentities(t)
	secretFile := filepath.Join(t.TempDir(), "client-secret")
	if err := os.WriteFile(secretFile, []byte(clientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	created := runOfschat(t, nil, "", append(secretArgs(t, id), "--put", "ofs/startchat",
		"--client-secret-file", secretFile)...)
	if created.code != exitOK {
		t.Fatalf("secret --put exit code = %d; output:\n%s", created.code, created.output())
	}
	mustContain(t, created.stdout, `Created Secrets Manager secret "ofs/startchat" (arn:aws:secretsmanager:`)
	client := localstack.SecretsClient(moto.URL())
	ctx := context.Background()
	stored := getSecret(t, client, "ofs/startchat")
	creds, err := ofs.ParseCredentials(stored)
	if err != nil {
		t.Fatalf("ParseCredentials(stored): %v", err)
	}
	if !creds.PrivateKey.Equal(id.Key) || creds.ClientSecret != clientSecret {
		t.Error("the stored secret does not hold the key and client secret")
	}

	// Another tool's member must survive the update.
	var withExtra map[string]any
	if err := json.Unmarshal(stored, &withExtra); err != nil {
		t.Fatal(err)
	}
	withExtra["webhookSecret"] = "w3bhook"
	extraJSON, _ := json.Marshal(withExtra)
	if _, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("ofs/startchat"), SecretString: aws.String(string(extraJSON))}); err != nil {
		t.Fatalf("PutSecretValue: %v", err)
	}

	updated := runOfschat(t, nil, "", append(secretArgs(t, other), "--put", "ofs/startchat")...)
	if updated.code != exitOK {
		t.Fatalf("second secret --put exit code = %d; output:\n%s", updated.code, updated.output())
	}
	mustContain(t, updated.stdout, `of Secrets Manager secret "ofs/startchat"`,
		"Kept these members of the previous value: webhookSecret.")
	var fields map[string]string
	if err := json.Unmarshal(getSecret(t, client, "ofs/startchat"), &fields); err != nil {
		t.Fatalf("the updated secret is not a JSON object of strings: %v", err)
	}
	if fields["webhookSecret"] != "w3bhook" {
		t.Errorf("webhookSecret = %q after the update, want it kept", fields["webhookSecret"])
	}
	if _, ok := fields["clientSecret"]; ok {
		t.Error("clientSecret survived although the update set none")
	}
	updatedCreds, err := ofs.ParseCredentials([]byte(mustJSON(t, fields)))
	if err != nil || !updatedCreds.PrivateKey.Equal(other.Key) {
		t.Errorf("the updated secret does not hold the new key (err %v)", err)
	}
	// One CreateSecret per --put; the SDK may repeat a call that timed out
	// on a loaded machine, so only a shortfall is an error.
	if got := moto.Calls("secretsmanager.CreateSecret"); got < 2 {
		t.Errorf("CreateSecret calls = %d, want 2", got)
	}

	// A new webhookSecret replaces the stored one instead of being kept.
	rotated := runOfschat(t, nil, "w3bhook-2\n", append(secretArgs(t, other), "--put", "ofs/startchat",
		"--webhook-secret-file", "-")...)
	if rotated.code != exitOK {
		t.Fatalf("third secret --put exit code = %d; output:\n%s", rotated.code, rotated.output())
	}
	mustContain(t, rotated.stdout, "webhookSecret  set, from -")
	if strings.Contains(rotated.stdout, "Kept these members") {
		t.Errorf("the third --put kept members although it set them all:\n%s", rotated.stdout)
	}
	raw := getSecret(t, client, "ofs/startchat")
	if n := strings.Count(string(raw), `"webhookSecret"`); n != 1 {
		t.Errorf("the stored JSON has webhookSecret %d times, want once", n)
	}
	if err := json.Unmarshal(raw, &fields); err != nil || fields["webhookSecret"] != "w3bhook-2" {
		t.Errorf("webhookSecret = %q (err %v), want w3bhook-2", fields["webhookSecret"], err)
	}
	assertNoLeak(t, created.output()+updated.output(), id.PrivateKeyPEM)
	assertNoLeak(t, updated.output()+rotated.output(), other.PrivateKeyPEM, "w3bhook")
}

func TestSecretPutNeedsRegion(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:1")
	id, _ := testIdentities(t)
	res := runOfschat(t, nil, "", append(secretArgs(t, id), "--put", "ofs/startchat")...)
	if res.code != exitFailed {
		t.Errorf("secret --put without a region exit code = %d, want 1", res.code)
	}
	mustContain(t, res.stderr, "no AWS region is configured")
}

func getSecret(t *testing.T, client *secretsmanager.Client, name string) []byte {
	t.Helper()
	out, err := client.GetSecretValue(context.Background(),
		&secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatalf("GetSecretValue(%s): %v", name, err)
	}
	return []byte(aws.ToString(out.SecretString))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
