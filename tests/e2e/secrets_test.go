package e2e_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// minSecretPart is the shortest secret fragment searched for. PEM body
// lines are 64 characters, except the last one of a block, which can be
// too short to distinguish from ordinary text.
const minSecretPart = 16

// secretParts returns the values that must never appear in logs or
// results: each line of the private key's PEM bodies (PKCS #8 and PKCS #1),
// the client and webhook secrets, the Basic credentials and assertions sent to the token
// endpoint, and every access token that the emulator issued.
func secretParts(stack *localstack.Stack) map[string]string {
	parts := map[string]string{"client secret": stack.ClientSecret, "webhook secret": stack.WebhookSecret}
	for name, block := range map[string][]byte{
		"PKCS #8 key, line": stack.Identity.PrivateKeyPEM,
		"PKCS #1 key, line": stack.Identity.PKCS1PEM,
	} {
		for i, line := range strings.Split(string(block), "\n") {
			if len(line) >= minSecretPart && !strings.HasPrefix(line, "-----") {
				parts[fmt.Sprintf("%s %d", name, i)] = line
			}
		}
	}
	for i, token := range stack.OFS.IssuedTokens() {
		parts[fmt.Sprintf("access token %d", i+1)] = token
	}
	for i, req := range stack.OFS.Emulator.Requests() {
		if req.Endpoint != emulator.EndpointToken {
			continue
		}
		if _, credentials, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok {
			parts["Basic credentials"] = credentials
		}
		if assertion := req.Form.Get("assertion"); assertion != "" {
			parts[fmt.Sprintf("assertion of request %d", i+1)] = assertion
		}
	}
	return parts
}

// checkNoSecrets fails the test when RIE's and the bootstrap's output, or
// any of the function's results, contains a secret part.
func checkNoSecrets(t *testing.T, stack *localstack.Stack, results [][]byte) {
	t.Helper()
	if dropped := stack.RIE.OutputDropped(); dropped > 0 {
		t.Errorf("RIE output lost %d bytes past its limit, so the scan is incomplete", dropped)
	}
	if len(stack.OFS.IssuedTokens()) == 0 && stack.OFS.Emulator.ChatRequests() > 0 {
		t.Error("the emulator issued no access token, so the token scan checks nothing")
	}
	haystacks := map[string][]byte{"RIE and bootstrap output": stack.RIE.Output()}
	for i, result := range results {
		haystacks[fmt.Sprintf("result %d", i+1)] = result
	}
	for _, leak := range findSecrets(secretParts(stack), haystacks) {
		t.Error(leak)
	}
}

// findSecrets returns one message per secret part found in a haystack.
func findSecrets(parts map[string]string, haystacks map[string][]byte) []string {
	var leaks []string
	for where, haystack := range haystacks {
		for name, part := range parts {
			if part != "" && bytes.Contains(haystack, []byte(part)) {
				leaks = append(leaks, name+" found in "+where)
			}
		}
	}
	return leaks
}

func TestFindSecretsReportsLeak(t *testing.T) {
	parts := map[string]string{"client secret": "s3cret-value-1234", "access token": "TOKEN0123456789"}
	haystacks := map[string][]byte{
		"clean log": []byte(`{"msg":"chat started","chatId":48213}`),
		"leaky log": []byte(`{"msg":"token","value":"TOKEN0123456789"}`),
	}
	leaks := findSecrets(parts, haystacks)
	if len(leaks) != 1 || leaks[0] != "access token found in leaky log" {
		t.Errorf("findSecrets = %q, want one access token leak in the leaky log", leaks)
	}
}
