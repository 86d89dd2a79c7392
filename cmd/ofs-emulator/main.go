// Command ofs-emulator serves the strict OFS token service and chat emulator
// on a loopback address, for demos that run the client in another process.
//
// It prints one line, "ofs-emulator listening on http://127.0.0.1:PORT", to
// stdout, logs each request's method, path and status to stderr, and stops on
// SIGINT or SIGTERM. The admin API under /_emulator/ sets up certificates,
// users and faults; see the emulator package documentation.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return
	default:
		fmt.Fprintln(os.Stderr, "ofs-emulator:", err)
		os.Exit(1)
	}
}
