// Command demo runs the startchat function on this machine and starts a chat
// for every sample event in events/. It builds the bootstrap, stores a fresh
// key and certificate as the credentials secret in moto, serves the OFS
// emulator, runs the bootstrap under the Lambda Runtime Interface Emulator
// and invokes each event in turn. Every server listens on 127.0.0.1 only,
// and no AWS account or OFS instance is needed.
//
// Run it from the repository with `make demo`, which first installs RIE, or
// with `go run ./cmd/demo -events DIR` for other event files. It exits with
// status 1 when an event does not start its chats.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	eventsDir := flag.String("events", "",
		"folder of event files (*.json) to invoke, in name order; "+
			"empty means events/ in the repository")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, *eventsDir)
	interrupted := ctx.Err() != nil
	stop()
	if interrupted {
		fmt.Fprintln(os.Stderr, "demo: interrupted; every server it started is stopped")
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
