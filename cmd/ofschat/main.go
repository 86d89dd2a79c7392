// Command ofschat sets up and tests the OFS credentials of ofs-startchat
// from the command line, with the same pkg/ofs code as the Lambda function.
// keygen makes the key pair, secret stores the secret, assertion shows the
// JWT assertion, token gets an access token and chat starts a chat. check
// walks the whole chain and explains the first broken link, and emulate
// serves the local OFS emulator.
//
// Run ofschat --help for the list and the exit codes, and ofschat
// SUBCOMMAND --help for the flags. docs/setup.md is the walkthrough.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		getenv: os.Getenv, now: time.Now}, os.Args[1:])
	stop()
	os.Exit(code)
}
