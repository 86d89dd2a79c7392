package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// Exit codes. The top-level help and docs/setup.md list them.
const (
	exitOK     = 0 // the command did what it was asked, or check found every link working
	exitFailed = 1 // the operation failed, or check found a broken link
	exitUsage  = 2 // the command line is invalid: unknown subcommand or flag, missing or bad value
)

// env is the part of the process that a subcommand uses: the standard
// streams, the environment variables and the clock. Tests replace each.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time
}

// command is one ofschat subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists the subcommands in the order a new user runs them.
func commands() []command {
	return []command{
		{"keygen", "make an RSA key and a self-signed certificate for the OFS application", runKeygen},
		{"secret", "build the credentials secret JSON and store it in a file or Secrets Manager", runSecret},
		{"assertion", "mint a JWT assertion and show its header and claims", runAssertion},
		{"token", "exchange an assertion for an access token and show its type and expiry", runToken},
		{"chat", "start an OFS chat and print its chat ID", runChat},
		{"check", "test every link from the secret to a chat and explain the first broken one", runCheck},
		{"emulate", "serve the local OFS emulator for trying the other subcommands", runEmulate},
	}
}

// usageError is an invalid command line. run prints it with a pointer to
// the help and exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errReported means that the subcommand already printed why it failed, as
// check does for a broken link. run adds nothing and exits with exitFailed.
var errReported = errors.New("failure already reported")

// run executes the command line args (without the program name) and
// returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		printUsage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(args) > 1 {
			return run(ctx, e, []string{args[1], "--help"})
		}
		printUsage(e.stdout)
		return exitOK
	}
	for _, cmd := range commands() {
		if cmd.name == name {
			return exitCode(e, name, cmd.run(ctx, e, args[1:]))
		}
	}
	fmt.Fprintf(e.stderr, "ofschat: unknown subcommand %q; run ofschat --help for the list\n", name)
	return exitUsage
}

// exitCode prints err for subcommand name and maps it to an exit code.
func exitCode(e *env, name string, err error) int {
	var usageErr *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usageErr):
		fmt.Fprintf(e.stderr, "ofschat %s: %v\nRun ofschat %s --help for usage.\n", name, err, name)
		return exitUsage
	case errors.Is(err, errReported):
		return exitFailed
	default:
		fmt.Fprintf(e.stderr, "ofschat %s: %v\n", name, err)
		return exitFailed
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `ofschat sets up and tests the OFS credentials of ofs-startchat: it makes the
key pair, stores the secret, shows the JWT assertion, gets an access token and
starts a chat, with the same code as the Lambda function.

Usage:
  ofschat SUBCOMMAND [flags]
  ofschat SUBCOMMAND --help

Subcommands:
`)
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, `
Credentials come from --secret-id NAME (AWS Secrets Manager, through the
standard AWS credential chain) or --secret-file FILE (the same JSON in a local
file). docs/setup.md walks from nothing to the first chat.

Exit codes:
  0  success; for check, every link works
  1  the operation failed; for check, a link is broken
  2  usage error: unknown subcommand or flag, or a missing or invalid value
`)
}

// parseFlags parses args with fs and rejects positional arguments. -h and
// --help print the usage to stdout and return flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, e *env, synopsis, description string, args []string) error {
	fs.SetOutput(io.Discard) // the flag package's own messages are replaced below
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(e.stdout, fs, synopsis, description)
		return flag.ErrHelp
	}
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q; every setting is a flag", fs.Arg(0))
	}
	return nil
}

// printCommandUsage prints a subcommand's help: synopsis, description and
// flags, spelt with two dashes.
func printCommandUsage(w io.Writer, fs *flag.FlagSet, synopsis, description string) {
	fmt.Fprintf(w, "Usage: ofschat %s %s\n\n%s\n\nFlags:\n", fs.Name(), synopsis,
		strings.TrimSpace(description))
	fs.VisitAll(func(f *flag.Flag) {
		typeName, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if typeName != "" {
			line += " " + typeName
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n%s\n", line, wrapText(usage, "      ", 80))
	})
	fmt.Fprintln(w, "\nExit codes: 0 success, 1 failure, 2 usage error.")
}

// wasSet reports whether the flag name appears on the command line.
func wasSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// wrapText breaks text into lines of at most width columns, each starting
// with indent. A word longer than the width gets a line of its own.
func wrapText(text, indent string, width int) string {
	var lines []string
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}
