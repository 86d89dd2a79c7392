package localstack_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

func TestNewIdentityKeysMatch(t *testing.T) {
	id := localstacktest.Identity(t)

	cert := decodePEM(t, id.CertificatePEM, "CERTIFICATE")
	parsedCert, err := x509.ParseCertificate(cert)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	if got := parsedCert.Subject.CommonName; got != localstack.DefaultUser {
		t.Errorf("certificate CN = %q, want %q", got, localstack.DefaultUser)
	}
	if !id.Key.PublicKey.Equal(parsedCert.PublicKey) {
		t.Error("certificate public key does not match Key")
	}
	pkcs8, err := x509.ParsePKCS8PrivateKey(decodePEM(t, id.PrivateKeyPEM, "PRIVATE KEY"))
	if err != nil {
		t.Fatalf("ParsePKCS8PrivateKey: %v", err)
	}
	if !id.Key.Equal(pkcs8) {
		t.Error("PrivateKeyPEM does not hold Key")
	}
	pkcs1, err := x509.ParsePKCS1PrivateKey(decodePEM(t, id.PKCS1PEM, "RSA PRIVATE KEY"))
	if err != nil {
		t.Fatalf("ParsePKCS1PrivateKey: %v", err)
	}
	if !id.Key.Equal(pkcs1) {
		t.Error("PKCS1PEM does not hold Key")
	}
	if bits := id.Key.N.BitLen(); bits != 2048 {
		t.Errorf("key size = %d bits, want 2048", bits)
	}
}

func decodePEM(t *testing.T, data []byte, blockType string) []byte {
	t.Helper()
	block, rest := pem.Decode(data)
	if block == nil || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("want one PEM block, got %q", data)
	}
	if block.Type != blockType {
		t.Fatalf("PEM type = %q, want %q", block.Type, blockType)
	}
	return block.Bytes
}

func TestSecretJSONFields(t *testing.T) {
	id := localstacktest.Identity(t)
	tests := []struct {
		name         string
		clientSecret string
		wantKeys     int
	}{
		{name: "with client secret", clientSecret: "s3cret", wantKeys: 6},
		{name: "without client secret", clientSecret: "", wantKeys: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := id.SecretJSON("acme.test", "startchat", tt.clientSecret)
			var secret map[string]string
			if err := json.Unmarshal(data, &secret); err != nil {
				t.Fatalf("SecretJSON is not a JSON object of strings: %v", err)
			}
			if len(secret) != tt.wantKeys {
				t.Errorf("SecretJSON has %d members, want %d: %v", len(secret), tt.wantKeys, secret)
			}
			if secret["clientSecret"] != tt.clientSecret {
				t.Errorf("clientSecret = %q, want %q", secret["clientSecret"], tt.clientSecret)
			}
			want := map[string]string{
				"user":        id.User,
				"instance":    "acme.test",
				"clientId":    "startchat",
				"privateKey":  string(id.PrivateKeyPEM),
				"certificate": string(id.CertificatePEM),
			}
			for field, value := range want {
				if secret[field] != value {
					t.Errorf("%s = %q, want %q", field, secret[field], value)
				}
			}
		})
	}
}

func TestEmulatorServesOFSClient(t *testing.T) {
	id := localstacktest.Identity(t)
	server := localstacktest.Emulator(t, emulator.Config{ClientSecret: "s3cret"}, id)
	if u, err := url.Parse(server.URL()); err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("URL() = %q, want an http://127.0.0.1 URL", server.URL())
	}
	secret := id.SecretJSON(localstack.DefaultInstance, localstack.DefaultClientID, "s3cret")
	creds, err := ofs.ParseCredentials(secret)
	if err != nil {
		t.Fatalf("ParseCredentials: %v", err)
	}
	client, err := ofs.NewClient(creds, ofs.Config{BaseURL: server.URL()})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	ctx := context.Background()
	for _, req := range []ofs.ChatRequest{
		{Text: "Truck 12 needs a tow", Recipients: localstack.Technicians()},
		{Text: "Gate 3 is stuck", Helpdesk: new(localstack.HelpdeskID)},
	} {
		if _, err := client.StartChat(ctx, req); err != nil {
			t.Fatalf("StartChat(%+v): %v", req, err)
		}
	}

	chats := server.Emulator.Chats()
	if len(chats) != 2 {
		t.Fatalf("emulator started %d chats, want 2", len(chats))
	}
	if chats[0].StartedBy != localstack.DefaultUser {
		t.Errorf("first chat startedBy = %q, want %q", chats[0].StartedBy, localstack.DefaultUser)
	}
	if chats[0].Type != "conference" {
		t.Errorf("first chat type = %q, want conference for two recipients", chats[0].Type)
	}
	tokens := server.IssuedTokens()
	if len(tokens) != 1 || server.Emulator.TokenRequests() != 1 {
		t.Fatalf("IssuedTokens() = %d tokens after %d token requests, want 1 and 1",
			len(tokens), server.Emulator.TokenRequests())
	}
	for _, req := range server.Emulator.Requests() {
		if req.Endpoint != emulator.EndpointChat {
			continue
		}
		if got := req.Header.Get("Authorization"); got != "Bearer "+tokens[0] {
			t.Errorf("chat request sent Authorization %q, want the issued token", got)
		}
	}
}

func TestMotoStoresSecret(t *testing.T) {
	moto := localstacktest.Moto(t)
	client := localstack.SecretsClient(moto.URL())
	ctx := context.Background()
	_, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("app/creds"), SecretString: aws.String(`{"user":"dispatcher1"}`),
	})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	out, err := client.GetSecretValue(ctx,
		&secretsmanager.GetSecretValueInput{SecretId: aws.String("app/creds")})
	if err != nil {
		t.Fatalf("GetSecretValue: %v", err)
	}
	if got := aws.ToString(out.SecretString); got != `{"user":"dispatcher1"}` {
		t.Errorf("SecretString = %q, want the stored value", got)
	}
	if got := moto.Calls("secretsmanager.GetSecretValue"); got != 1 {
		t.Errorf(`Calls("secretsmanager.GetSecretValue") = %d, want 1`, got)
	}
	if got := moto.Calls("secretsmanager.CreateSecret"); got != 1 {
		t.Errorf(`Calls("secretsmanager.CreateSecret") = %d, want 1`, got)
	}
}

func TestMotoStopIsIdempotent(t *testing.T) {
	moto := localstacktest.Moto(t)
	addr := strings.TrimPrefix(moto.URL(), "http://")
	moto.Stop()
	moto.Stop()
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Stop", addr)
	}
}

func TestMissingToolsNameFix(t *testing.T) {
	t.Setenv("PATH", t.TempDir())

	_, err := localstack.FindRIE(t.TempDir())
	if !errors.Is(err, localstack.ErrToolNotFound) || !strings.Contains(err.Error(), "make tools") {
		t.Errorf("FindRIE(empty root) = %v, want ErrToolNotFound naming make tools", err)
	}
	_, err = localstack.StartMoto(context.Background())
	if !errors.Is(err, localstack.ErrToolNotFound) || !strings.Contains(err.Error(), "make tools") {
		t.Errorf("StartMoto without moto_server = %v, want ErrToolNotFound naming make tools", err)
	}
}

func TestRepoRootHasModule(t *testing.T) {
	root, err := localstack.RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "functions", "startchat")); err != nil {
		t.Errorf("RepoRoot() = %q, which has no functions/startchat: %v", root, err)
	}
}

func TestParseFunctionError(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantType string
		wantOK   bool
	}{
		{name: "error", body: `{"errorMessage":"boom","errorType":"EventError"}`,
			wantType: "EventError", wantOK: true},
		{name: "chat", body: `{"chatId":48213,"type":"normal"}`},
		{name: "batch", body: `{"batchItemFailures":[]}`},
		{name: "not JSON", body: `Task timed out after 30.00 seconds`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fnErr, ok := localstack.ParseFunctionError([]byte(tt.body))
			if ok != tt.wantOK {
				t.Fatalf("ParseFunctionError(%q) ok = %v, want %v", tt.body, ok, tt.wantOK)
			}
			if ok && fnErr.Type != tt.wantType {
				t.Errorf("ParseFunctionError(%q).Type = %q, want %q", tt.body, fnErr.Type, tt.wantType)
			}
		})
	}
}
