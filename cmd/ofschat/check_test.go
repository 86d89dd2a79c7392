package main

import (
	"crypto/sha1"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
)

// encryptedKeyPEM is a key in the form openssl writes with a passphrase.
// pkg/ofs rejects it by its PEM type, before decoding the body.
const encryptedKeyPEM = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n" +
	"-----END ENCRYPTED PRIVATE KEY-----\n"

func TestCheckPassesEveryLink(t *testing.T) {
	id, _ := testIdentities(t)
	server := startEmulator(t, id)
	secretFile := writeSecretFile(t, secretFields(t, id))
	res := runOfschat(t, map[string]string{envBaseURL: server.URL()}, "", "check",
		"--secret-file", secretFile, "--to", "tech17")
	if res.code != exitOK {
		t.Fatalf("check exit code = %d; output:\n%s", res.code, res.output())
	}
	for _, step := range checkSteps {
		if !regexp.MustCompile(`(?m)^  ok +` + regexp.QuoteMeta(step) + ` `).MatchString(res.stdout) {
			t.Errorf("no ok line for %s:\n%s", step, res.stdout)
		}
	}
	mustContain(t, res.stdout, "RSA 2048 bits, unencrypted", "clientSecret set",
		"aud ofsc:acme.test:startchat", "bearer token for dispatcher1", "chat 48213 started with tech17",
		"Every link works.")
	if chats := server.Emulator.Chats(); len(chats) != 1 || chats[0].Text != "Test chat from ofschat check" {
		t.Errorf("emulator chats = %+v, want one test chat", chats)
	}
	assertNoLeak(t, res.output(), id.PrivateKeyPEM, append(server.IssuedTokens(), assertions(server)...)...)
}

func TestCheckWithoutChatSkipsIt(t *testing.T) {
	id, _ := testIdentities(t)
	server := startEmulator(t, id)
	fields := secretFields(t, id)
	fields["certificate"] = ""
	res := runOfschat(t, map[string]string{envBaseURL: server.URL()}, "", "check",
		"--secret-file", writeSecretFile(t, fields))
	if res.code != exitOK {
		t.Fatalf("check exit code = %d; output:\n%s", res.code, res.output())
	}
	mustContain(t, res.stdout, "skip  certificate  the secret has no certificate",
		"skip  chat         no test chat; pass --to LOGIN or --helpdesk ID", "Every link works.")
	if got := len(server.Emulator.Chats()); got != 0 {
		t.Errorf("check without --to started %d chats", got)
	}
}

// brokenLink is one check case: a broken secret or OFS setup and what the
// report must say about it.
type brokenLink struct {
	name   string
	fields map[string]string // changes to the secret; "" removes a field
	trust  string            // "other": the emulator trusts another key's certificate
	// noClientSecret makes the application have no client secret.
	noClientSecret bool
	baseURL        string // replaces the emulator's URL when set
	setup          func(t *testing.T, server *localstack.OFS)
	args           []string // extra check flags
	step           string   // the FAIL line's link
	wantLink       string   // text of the "broken link" line
	wantFix        string   // text of the "fix" line
}

func TestCheckNamesBrokenLink(t *testing.T) {
	id, other := testIdentities(t)
	shortLived, err := localstack.NewIdentity(localstack.DefaultUser) // valid for one day
	if err != nil {
		t.Fatalf("NewIdentity: %v", err)
	}
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)

	cases := []brokenLink{
		{name: "missing field", fields: map[string]string{"user": "", "instance": ""},
			step: stepFields, wantLink: "fields: instance, user",
			wantFix: "the secret needs instance, clientId, user and privateKey"},
		{name: "not JSON", fields: map[string]string{"*raw*": "{instance: acme.test"},
			step: stepFields, wantLink: "secret JSON", wantFix: "--out "},
		{name: "encrypted key", fields: map[string]string{"privateKey": encryptedKeyPEM},
			step: stepKey, wantLink: `privateKey (the secret's "privateKey" field)`,
			wantFix: "openssl pkcs8 -topk8 -nocrypt -in key.pem -out private.pem"},
		{name: "certificate of another key", fields: map[string]string{"certificate": string(other.CertificatePEM)},
			step: stepCertificate, wantLink: `certificate (the secret's "certificate" field)`,
			wantFix: "store the cert.pem that was made together with private.pem"},
		{name: "certificate near expiry", fields: map[string]string{
			"privateKey": string(shortLived.PrivateKeyPEM), "certificate": string(shortLived.CertificatePEM)},
			step: stepCertificate, wantLink: `certificate (the secret's "certificate" field)`,
			wantFix: "make a new pair with ofschat keygen --dir NEW"},
		{name: "OFS trusts another certificate", trust: "other",
			step: stepToken, wantLink: "certificate uploaded to OFS",
			wantFix: `upload the certificate of this private key (SHA-1 thumbprint ` + sha1Thumbprint(t, id)},
		{name: "unknown user", fields: map[string]string{"user": "ghost"},
			step: stepToken, wantLink: `user "ghost" (the secret's "user" field)`,
			wantFix: "set user to the login of an active OFS user"},
		{name: "wrong client secret", fields: map[string]string{"clientSecret": "an-old-secret"},
			step: stepToken, wantLink: `client secret (the secret's "clientSecret" field)`,
			wantFix: "set clientSecret to the application's current client secret"},
		{name: "missing client secret", fields: map[string]string{"clientSecret": ""},
			step: stepToken, wantLink: `client secret (the secret's "clientSecret" field)`,
			wantFix: "set clientSecret to the application's current client secret"},
		{name: "wrong client ID", fields: map[string]string{"clientId": "other-app"},
			step: stepToken, wantLink: `instance or clientId (the secret's "instance" and "clientId" fields)`,
			wantFix: "set instance to the name in Configuration > About"},
		{name: "wrong instance without client secret", fields: map[string]string{"instance": "acme",
			"clientSecret": ""}, noClientSecret: true,
			step: stepToken, wantLink: `instance or clientId (the secret's "instance" and "clientId" fields)`,
			wantFix: "set instance to the name in Configuration > About"},
		{name: "OFS unreachable", baseURL: "http://127.0.0.1:1",
			step: stepToken, wantLink: "network path to OFS",
			wantFix: "check that http://127.0.0.1:1/rest/oauthTokenService/v2/token is the OFS API host"},
		{name: "not an OFS host", baseURL: notFound.URL,
			step: stepToken, wantLink: "OFS URL", wantFix: "set --base-url (or $OFS_BASE_URL)"},
		{name: "OFS unavailable", setup: func(t *testing.T, server *localstack.OFS) {
			server.Emulator.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Status: 503, Times: 10})
		}, step: stepToken, wantLink: "OFS availability", wantFix: "run ofschat check again later"},
		{name: "base URL with path", baseURL: "https://acme.test.fs.ocs.oraclecloud.com/rest",
			step: stepURL, wantLink: "OFS URL (--base-url, $OFS_BASE_URL or the instance)",
			wantFix: "pass --base-url https://HOST with no path"},
		{name: "unknown recipient", args: []string{"--to", "ghost"},
			step: stepChat, wantLink: "recipients", wantFix: "pass logins of active users with --to"},
		{name: "user without Collaboration permission", args: []string{"--to", "tech17"},
			setup: func(t *testing.T, server *localstack.OFS) {
				server.Emulator.AddUser(emulator.User{Login: "dispatcher1", NoCollaboration: true})
			}, step: stepChat, wantLink: `user "dispatcher1"'s Collaboration permission`,
			wantFix: `give the user type of "dispatcher1" the Collaboration permission`},
		{name: "unknown helpdesk", args: []string{"--helpdesk", "99"},
			step: stepChat, wantLink: "helpdesk", wantFix: "pass the ID of a helpdesk that exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			trusted := id
			if tc.trust == "other" {
				trusted = other
			}
			if tc.fields != nil && tc.fields["certificate"] == string(shortLived.CertificatePEM) {
				trusted = shortLived
			}
			cfg := emulator.Config{ClientSecret: clientSecret}
			if tc.noClientSecret {
				cfg.ClientSecret = ""
			}
			server := localstacktest.Emulator(t, cfg, trusted)
			if tc.setup != nil {
				tc.setup(t, server)
			}
			baseURL := server.URL()
			if tc.baseURL != "" {
				baseURL = tc.baseURL
			}
			secretFile := brokenSecretFile(t, id, tc.fields)
			args := append([]string{"check", "--secret-file", secretFile, "--base-url", baseURL,
				"--timeout", "20s"}, tc.args...)
			res := runOfschat(t, nil, "", args...)
			assertBrokenLink(t, res, tc)
			secrets := append(server.IssuedTokens(), assertions(server)...)
			assertNoLeak(t, res.output(), id.PrivateKeyPEM, append(secrets, "an-old-secret")...)
			assertNoLeak(t, res.output(), shortLived.PrivateKeyPEM)
		})
	}
}

// brokenSecretFile writes id's secret with the changes in fields. The
// member "*raw*" replaces the whole file.
func brokenSecretFile(t *testing.T, id *localstack.Identity, changes map[string]string) string {
	t.Helper()
	if raw, ok := changes["*raw*"]; ok {
		path := filepath.Join(t.TempDir(), "secret.json")
		if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	fields := secretFields(t, id)
	for name, value := range changes {
		fields[name] = value
	}
	return writeSecretFile(t, fields)
}

// assertBrokenLink checks the report of a broken chain: exit code 1, the
// links before the broken one passed or skipped, the FAIL line, the broken
// link, the fix, and the links after it not checked.
func assertBrokenLink(t *testing.T, res result, tc brokenLink) {
	t.Helper()
	if res.code != exitFailed {
		t.Errorf("check exit code = %d, want 1; output:\n%s", res.code, res.output())
	}
	failed := false
	for _, step := range checkSteps {
		line := regexp.MustCompile(`(?m)^  (\S+) +` + regexp.QuoteMeta(step) + `( |$)`).FindStringSubmatch(res.stdout)
		if line == nil {
			t.Errorf("report has no line for %s:\n%s", step, res.stdout)
			continue
		}
		status := line[1]
		switch {
		case step == tc.step:
			failed = true
			if status != "FAIL" {
				t.Errorf("%s status = %s, want FAIL:\n%s", step, status, res.stdout)
			}
		case failed && status != "-":
			t.Errorf("%s after the broken link has status %s, want -:\n%s", step, status, res.stdout)
		case !failed && status != "ok" && status != "skip":
			t.Errorf("%s before the broken link has status %s, want ok:\n%s", step, status, res.stdout)
		}
	}
	mustContain(t, res.stdout, "        broken link  "+tc.wantLink+"\n",
		"The chain is broken at: "+tc.wantLink+".")
	fixLine := regexp.MustCompile(`(?m)^        fix          (.*)$`).FindStringSubmatch(res.stdout)
	if fixLine == nil || !strings.Contains(fixLine[1], tc.wantFix) {
		t.Errorf("fix line lacks %q:\n%s", tc.wantFix, res.stdout)
	}
}

func sha1Thumbprint(t *testing.T, id *localstack.Identity) string {
	t.Helper()
	sum := sha1.Sum(mustCertificate(t, id).Raw)
	return thumbprint(sum[:])
}

func TestCheckMissingSecretFile(t *testing.T) {
	missingPath := filepath.Join(t.TempDir(), "none.json")
	missingFile := runOfschat(t, nil, "", "check", "--secret-file", missingPath)
	assertBrokenLink(t, missingFile, brokenLink{step: stepSecret,
		wantLink: `secret file "` + missingPath + `"`, wantFix: "check the --secret-file path"})
	mustContain(t, missingFile.stdout, "no such file or directory")
}

func TestCheckMissingSecretsManagerSecret(t *testing.T) {
	useMoto(t)
	missingSecret := runOfschat(t, nil, "", "check", "--secret-id", "ofs/none")
	assertBrokenLink(t, missingSecret, brokenLink{step: stepSecret,
		wantLink: `Secrets Manager secret "ofs/none"`, wantFix: "check --secret-id, AWS_REGION"})
	mustContain(t, missingSecret.stdout, "(ResourceNotFoundException)")
}

func TestCheckFromSecretsManager(t *testing.T) {
	moto := useMoto(t)
	id, _ := testIdentities(t)
	server := startEmulator(t, id)
	createSecret(t, moto, "ofs/startchat", id.SecretJSON(localstack.DefaultInstance,
		localstack.DefaultClientID, clientSecret))
	vars := map[string]string{envSecretID: "ofs/startchat", envBaseURL: server.URL()}
	res := runOfschat(t, vars, "", "check", "--helpdesk", "5")
	if res.code != exitOK {
		t.Fatalf("check exit code = %d; output:\n%s", res.code, res.output())
	}
	mustContain(t, res.stdout, `Checking Secrets Manager secret "ofs/startchat"`,
		"chat 48213 started with helpdesk 5", "Every link works.")

	// A fix for a Secrets Manager secret names --put, not a file.
	server.Emulator.AddUser(emulator.User{Login: "dispatcher1", NoCollaboration: true})
	createSecret(t, moto, "ofs/ghost", []byte(strings.Replace(string(id.SecretJSON(localstack.DefaultInstance,
		localstack.DefaultClientID, clientSecret)), `"user":"dispatcher1"`, `"user":"ghost"`, 1)))
	ghost := runOfschat(t, vars, "", "check", "--secret-id", "ofs/ghost")
	assertBrokenLink(t, ghost, brokenLink{step: stepToken, wantLink: `user "ghost" (the secret's "user" field)`,
		wantFix: "store the corrected secret with ofschat secret ... --put ofs/ghost"})
	assertNoLeak(t, res.output()+ghost.output(), id.PrivateKeyPEM,
		append(server.IssuedTokens(), assertions(server)...)...)
}
