package main

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// jwtPattern matches a compact JWS.
var jwtPattern = regexp.MustCompile(`[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)

func TestAssertionShowsDecodedClaims(t *testing.T) {
	id, _ := testIdentities(t)
	secretFile := writeSecretFile(t, secretFields(t, id))
	res := runOfschat(t, nil, "", "assertion", "--secret-file", secretFile, "--issuer", "setup-test")
	if res.code != exitOK {
		t.Fatalf("assertion exit code = %d; output:\n%s", res.code, res.output())
	}
	sum := sha1.Sum(mustCertificate(t, id).Raw)
	mustContain(t, res.stdout,
		`"alg": "RS256"`,
		`"x5t": "`+base64.RawURLEncoding.EncodeToString(sum[:])+`"`,
		`"iss": "setup-test"`,
		`"sub": "dispatcher1"`,
		`"aud": "ofsc:acme.test:startchat"`,
		"(30s ago)", "(in 5m0s)", " UTC",
		"the signature verifies with the key",
		"x5t is the SHA-1 thumbprint of the secret's certificate")
	if jwtPattern.MatchString(res.output()) {
		t.Errorf("output without --raw contains a compact JWT:\n%s", res.output())
	}
	assertNoLeak(t, res.output(), id.PrivateKeyPEM)
}

func TestAssertionRawPrintsToken(t *testing.T) {
	id, _ := testIdentities(t)
	secretFile := writeSecretFile(t, secretFields(t, id))
	res := runOfschat(t, nil, "", "assertion", "--secret-file", secretFile, "--raw")
	if res.code != exitOK {
		t.Fatalf("assertion --raw exit code = %d; output:\n%s", res.code, res.output())
	}
	assertion := strings.TrimSpace(res.stdout)
	if strings.Count(res.stdout, "\n") != 1 || !jwtPattern.MatchString(assertion) {
		t.Fatalf("stdout = %q, want one line with the compact assertion", res.stdout)
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return &id.Key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience("ofsc:acme.test:startchat"),
		jwt.WithSubject("dispatcher1"), jwt.WithIssuer("ofs-startchat"))
	if err != nil {
		t.Errorf("the printed assertion does not verify: %v", err)
	}
	mustContain(t, res.stderr, `"sub": "dispatcher1"`)
	assertNoLeak(t, res.output(), id.PrivateKeyPEM)
}

func TestAssertionWithoutCertificate(t *testing.T) {
	id, _ := testIdentities(t)
	fields := secretFields(t, id)
	fields["certificate"] = ""
	res := runOfschat(t, nil, "", "assertion", "--secret-file", writeSecretFile(t, fields))
	if res.code != exitOK {
		t.Fatalf("assertion exit code = %d; output:\n%s", res.code, res.output())
	}
	mustContain(t, res.stdout, "The secret has no certificate, so the header has no x5t.")
	if strings.Contains(res.stdout, "x5t\":") {
		t.Errorf("header has x5t without a certificate:\n%s", res.stdout)
	}
}

func TestAssertionFromSecretsManager(t *testing.T) {
	moto := useMoto(t)
	id, _ := testIdentities(t)
	createSecret(t, moto, "ofs/startchat", id.SecretJSON(localstack.DefaultInstance,
		localstack.DefaultClientID, clientSecret))
	vars := map[string]string{envSecretID: "ofs/startchat"}
	res := runOfschat(t, vars, "", "assertion")
	if res.code != exitOK {
		t.Fatalf("assertion with $OFS_SECRET_ID exit code = %d; output:\n%s", res.code, res.output())
	}
	mustContain(t, res.stdout, `"sub": "dispatcher1"`)
	if got := moto.Calls("secretsmanager.GetSecretValue"); got != 1 {
		t.Errorf("GetSecretValue calls = %d, want 1", got)
	}

	missing := runOfschat(t, nil, "", "assertion", "--secret-id", "ofs/none")
	if missing.code != exitFailed {
		t.Errorf("assertion of a missing secret exit code = %d, want 1", missing.code)
	}
	mustContain(t, missing.stderr, `secret "ofs/none" not found (ResourceNotFoundException)`,
		"check --secret-id and that AWS_REGION is the secret's region")
	assertNoLeak(t, res.output()+missing.output(), id.PrivateKeyPEM)
}

// createSecret stores value in moto as the secret name.
func createSecret(t *testing.T, moto *localstack.Moto, name string, value []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := localstack.SecretsClient(moto.URL()).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(string(value))})
	if err != nil {
		t.Fatalf("CreateSecret(%s): %v", name, err)
	}
}
