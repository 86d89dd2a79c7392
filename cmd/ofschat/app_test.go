package main

import (
	"strings"
	"testing"
)

func TestHelpForEverySubcommand(t *testing.T) {
	for _, cmd := range commands() {
		t.Run(cmd.name, func(t *testing.T) {
			for _, flag := range []string{"--help", "-h"} {
				res := runOfschat(t, nil, "", cmd.name, flag)
				if res.code != exitOK {
					t.Errorf("%s %s exit code = %d, want 0; stderr:\n%s", cmd.name, flag, res.code, res.stderr)
				}
				mustContain(t, res.stdout, "Usage: ofschat "+cmd.name, "Flags:", "Exit codes:")
				if res.stderr != "" {
					t.Errorf("%s %s wrote to stderr:\n%s", cmd.name, flag, res.stderr)
				}
			}
			if got := runOfschat(t, nil, "", "help", cmd.name); got.stdout != runOfschat(t, nil, "", cmd.name, "--help").stdout {
				t.Errorf("ofschat help %s differs from ofschat %s --help", cmd.name, cmd.name)
			}
		})
	}
}

func TestHelpFlagsUseTwoDashes(t *testing.T) {
	res := runOfschat(t, nil, "", "secret", "--help")
	mustContain(t, res.stdout, "  --instance name", "  --put name", "  --client-secret-file file")
	for _, line := range strings.Split(res.stdout, "\n") {
		if strings.HasPrefix(line, "  -") && !strings.HasPrefix(line, "  --") {
			t.Errorf("flag line %q has one dash", line)
		}
		if len(line) > 100 {
			t.Errorf("help line is %d characters long: %q", len(line), line)
		}
	}
}

func TestTopLevelHelpListsExitCodes(t *testing.T) {
	res := runOfschat(t, nil, "", "--help")
	if res.code != exitOK {
		t.Fatalf("--help exit code = %d, want 0", res.code)
	}
	mustContain(t, res.stdout, "Exit codes:", "0  success", "1  the operation failed",
		"2  usage error", "docs/setup.md")
	for _, cmd := range commands() {
		mustContain(t, res.stdout, "  "+cmd.name+" ")
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		vars       map[string]string
		wantStderr string
	}{
		{"no arguments", nil, nil, "Usage:"},
		{"unknown subcommand", []string{"start"}, nil, `unknown subcommand "start"`},
		{"unknown flag", []string{"token", "--secret", "x"}, nil, "flag provided but not defined: -secret"},
		{"positional argument", []string{"keygen", "out"}, nil, `unexpected argument "out"`},
		{"no credentials", []string{"token"}, nil, "no credentials: use --secret-id"},
		{"both sources", []string{"token", "--secret-id", "a", "--secret-file", "b"}, nil,
			"--secret-id and --secret-file are both set"},
		{"bad timeout", []string{"token", "--secret-file", "b", "--timeout", "0s"}, nil,
			"--timeout 0s is not positive"},
		{"bad duration", []string{"check", "--secret-file", "b", "--min-validity", "soon"}, nil,
			`invalid value "soon" for flag -min-validity`},
		{"chat without recipients", []string{"chat", "--secret-file", "b", "--text", "hi"}, nil,
			"no recipients"},
		{"chat to logins and helpdesk", []string{"chat", "--secret-file", "b", "--text", "hi",
			"--to", "tech17", "--helpdesk", "5"}, nil, "--to and --helpdesk are both set"},
		{"chat without text", []string{"chat", "--secret-file", "b", "--to", "tech17"}, nil,
			"text: is empty"},
		{"chat with empty login", []string{"chat", "--secret-file", "b", "--to", "tech17,,tech23",
			"--text", "hi"}, nil, "recipients[1]: is empty"},
		{"chat text too long", []string{"chat", "--secret-file", "b", "--to", "tech17",
			"--text", strings.Repeat("x", 1001)}, nil, "(--text)"},
		{"keygen 1024 bits", []string{"keygen", "--bits", "1024"}, nil, "use 2048, 3072 or 4096"},
		{"keygen bad subject", []string{"keygen", "--subject", "/O=Acme", "--dir", t.TempDir()}, nil,
			"has no CN"},
		{"keygen zero days", []string{"keygen", "--days", "0"}, nil, "--days 0 is out of range"},
		{"secret missing flags", []string{"secret", "--out", "x"}, nil,
			"missing --instance, --client-id, --user"},
		{"secret with two secrets on stdin", []string{"secret", "--instance", "a", "--client-id", "b",
			"--user", "c", "--out", "x", "--client-secret-file", "-", "--webhook-secret-file", "-"}, nil,
			"both read standard input"},
		{"secret without destination", []string{"secret", "--instance", "a", "--client-id", "b",
			"--user", "c"}, nil, "pass --out FILE, --put NAME or both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runOfschat(t, tt.vars, "", tt.args...)
			if res.code != exitUsage {
				t.Errorf("exit code = %d, want 2; output:\n%s", res.code, res.output())
			}
			mustContain(t, res.stderr, tt.wantStderr)
			if res.stdout != "" {
				t.Errorf("stdout = %q, want nothing", res.stdout)
			}
		})
	}
}

func TestSecretFileOverridesEnvironmentSecretID(t *testing.T) {
	vars := map[string]string{envSecretID: "from-environment"}
	res := runOfschat(t, vars, "", "assertion", "--secret-file", "/nonexistent/secret.json")
	if res.code != exitFailed {
		t.Errorf("exit code = %d, want 1 for the missing file; output:\n%s", res.code, res.output())
	}
	mustContain(t, res.stderr, "reading --secret-file")
}
