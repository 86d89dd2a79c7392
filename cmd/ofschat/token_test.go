package main

import (
	"strings"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

func TestTokenShowsTypeAndExpiry(t *testing.T) {
	id, _ := testIdentities(t)
	server := startEmulator(t, id)
	secretFile := writeSecretFile(t, secretFields(t, id))
	vars := map[string]string{envBaseURL: server.URL()}

	res := runOfschat(t, vars, "", "token", "--secret-file", secretFile)
	if res.code != exitOK {
		t.Fatalf("token exit code = %d; output:\n%s", res.code, res.output())
	}
	mustContain(t, res.stdout, "Token service  "+server.URL()+"/rest/oauthTokenService/v2/token",
		"User           dispatcher1", "Token type     bearer", "Lifetime       1h0m0s", "(in 1h0m0s)")
	if strings.Contains(res.stdout, "Access token") {
		t.Errorf("token printed the access token without --show-token:\n%s", res.stdout)
	}
	if got := len(server.Emulator.Chats()); got != 0 {
		t.Errorf("token started %d chats, want 0", got)
	}

	shown := runOfschat(t, vars, "", "token", "--secret-file", secretFile, "--show-token")
	if shown.code != exitOK {
		t.Fatalf("token --show-token exit code = %d; output:\n%s", shown.code, shown.output())
	}
	tokens := server.IssuedTokens()
	if len(tokens) != 2 {
		t.Fatalf("emulator issued %d tokens, want 2", len(tokens))
	}
	mustContain(t, shown.stdout, "Access token   "+tokens[1])
	assertNoLeak(t, res.output(), id.PrivateKeyPEM, append(tokens, assertions(server)...)...)
	assertNoLeak(t, shown.output(), id.PrivateKeyPEM, append(tokens[:1], assertions(server)...)...)
}

func TestTokenBaseURLFlagWinsOverEnvironment(t *testing.T) {
	id, _ := testIdentities(t)
	server := startEmulator(t, id)
	vars := map[string]string{envBaseURL: "http://127.0.0.1:1"}
	res := runOfschat(t, vars, "", "token", "--secret-file", writeSecretFile(t, secretFields(t, id)),
		"--base-url", server.URL())
	if res.code != exitOK {
		t.Fatalf("token --base-url exit code = %d; output:\n%s", res.code, res.output())
	}
}

func TestTokenRejected(t *testing.T) {
	id, _ := testIdentities(t)
	server := startEmulator(t, id)
	fields := secretFields(t, id)
	fields["clientSecret"] = "not-the-client-secret"
	res := runOfschat(t, map[string]string{envBaseURL: server.URL()}, "", "token",
		"--secret-file", writeSecretFile(t, fields))
	if res.code != exitFailed {
		t.Errorf("token with a wrong client secret exit code = %d, want 1", res.code)
	}
	mustContain(t, res.stderr, "ofschat token: ofs: token request failed: 401 Unauthorized",
		"Basic password does not match")
	assertNoLeak(t, res.output(), id.PrivateKeyPEM, "not-the-client-secret")
}

func TestTokenFromSecretsManager(t *testing.T) {
	moto := useMoto(t)
	id, _ := testIdentities(t)
	server := startEmulator(t, id)
	createSecret(t, moto, "ofs/startchat", id.SecretJSON(localstack.DefaultInstance,
		localstack.DefaultClientID, clientSecret))
	res := runOfschat(t, nil, "", "token", "--secret-id", "ofs/startchat", "--base-url", server.URL())
	if res.code != exitOK {
		t.Fatalf("token --secret-id exit code = %d; output:\n%s", res.code, res.output())
	}
	mustContain(t, res.stdout, "Token type     bearer")
	assertNoLeak(t, res.output(), id.PrivateKeyPEM, append(server.IssuedTokens(), assertions(server)...)...)
}
