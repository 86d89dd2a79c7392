package main

import (
	"strings"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

func TestChatStartsChat(t *testing.T) {
	id, _ := testIdentities(t)
	server := startEmulator(t, id)
	secretFile := writeSecretFile(t, secretFields(t, id))
	vars := map[string]string{envBaseURL: server.URL()}

	res := runOfschat(t, vars, "", "chat", "--secret-file", secretFile, "--to", " tech17 , tech23,tech17",
		"--text", "Truck 12 needs a tow at gate 3")
	if res.code != exitOK {
		t.Fatalf("chat exit code = %d; output:\n%s", res.code, res.output())
	}
	chats := server.Emulator.Chats()
	if len(chats) != 1 {
		t.Fatalf("emulator started %d chats, want 1", len(chats))
	}
	if got := strings.Join(chats[0].Recipients, ","); got != "tech17,tech23" {
		t.Errorf("recipients = %s, want tech17,tech23", got)
	}
	if chats[0].Text != "Truck 12 needs a tow at gate 3" {
		t.Errorf("text = %q", chats[0].Text)
	}
	mustContain(t, res.stdout, "Chat 48213 started: type conference, with tech17, tech23, by dispatcher1, at ")

	helpdesk := runOfschat(t, vars, "", "chat", "--secret-file", secretFile, "--helpdesk",
		"5", "--text", "Gate 3 is stuck")
	if helpdesk.code != exitOK {
		t.Fatalf("chat --helpdesk exit code = %d; output:\n%s", helpdesk.code, helpdesk.output())
	}
	mustContain(t, helpdesk.stdout, "Chat 48214 started: type normal, with helpdesk 5")
	secrets := append(server.IssuedTokens(), assertions(server)...)
	assertNoLeak(t, res.output()+helpdesk.output(), id.PrivateKeyPEM, secrets...)
}

func TestChatUnknownRecipient(t *testing.T) {
	id, _ := testIdentities(t)
	server := startEmulator(t, id)
	res := runOfschat(t, map[string]string{envBaseURL: server.URL()}, "", "chat",
		"--secret-file", writeSecretFile(t, secretFields(t, id)), "--to", "ghost", "--text", "hello")
	if res.code != exitFailed {
		t.Errorf("chat to an unknown login exit code = %d, want 1", res.code)
	}
	mustContain(t, res.stderr, `recipients[0] "ghost" is not a known user login`)
	if got := len(server.Emulator.Chats()); got != 0 {
		t.Errorf("emulator started %d chats, want 0", got)
	}
}

func TestChatFromSecretsManager(t *testing.T) {
	moto := useMoto(t)
	id, _ := testIdentities(t)
	server := startEmulator(t, id)
	createSecret(t, moto, "ofs/startchat", id.SecretJSON(localstack.DefaultInstance,
		localstack.DefaultClientID, clientSecret))
	vars := map[string]string{envSecretID: "ofs/startchat", envBaseURL: server.URL()}
	res := runOfschat(t, vars, "", "chat", "--to", "tech17", "--text", "From Secrets Manager")
	if res.code != exitOK {
		t.Fatalf("chat exit code = %d; output:\n%s", res.code, res.output())
	}
	if chats := server.Emulator.Chats(); len(chats) != 1 || chats[0].Text != "From Secrets Manager" {
		t.Errorf("emulator chats = %+v, want one with the text", chats)
	}
	assertNoLeak(t, res.output(), id.PrivateKeyPEM, append(server.IssuedTokens(), assertions(server)...)...)
}
