package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

const (
	// shutdownTimeout bounds the wait for running requests on a stop signal.
	// A request held by a Delay fault can outlast it, and is then cut off.
	shutdownTimeout = 5 * time.Second

	// readHeaderTimeout stops a client that opens a connection and never
	// sends its headers from holding the connection forever.
	readHeaderTimeout = 10 * time.Second
)

const emulateDescription = `
Serves the project's strict OFS emulator (the token service and "Start a new
chat") on a loopback address, so that every other subcommand can be tried
without an OFS instance: point them at it with --base-url or OFS_BASE_URL.
It prints one line, "OFS emulator listening on http://127.0.0.1:PORT", to
standard output, logs each request's method, path and status to standard
error, and runs until interrupted (Ctrl-C, SIGTERM).

The emulator trusts the certificate given with --cert (cert.pem from keygen)
and knows the users given with --users. The admin API under /_emulator/
changes certificates, users, helpdesks and faults at run time, and has no
authentication, which is why only loopback addresses are accepted.`

// emulateOptions are the emulate subcommand's settings.
type emulateOptions struct {
	addr         string
	instance     string
	clientID     string
	clientSecret string
	certFile     string
	users        []string
	helpdesks    []int64
	tokenTTL     time.Duration
}

// parseEmulateFlags parses the emulate command line.
func parseEmulateFlags(e *env, args []string) (emulateOptions, error) {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	var opts emulateOptions
	var users, helpdesks string
	fs.StringVar(&opts.addr, "addr", "127.0.0.1:0",
		"loopback `host:port` to listen on; port 0 picks a free port")
	fs.StringVar(&opts.instance, "instance", "acme.test", "OFS instance (environment) `name`")
	fs.StringVar(&opts.clientID, "client-id", "startchat", "client `ID` of the OFS application")
	fs.StringVar(&opts.clientSecret, "client-secret", "",
		"client `secret` of the OFS application; empty means the application has none")
	fs.StringVar(&opts.certFile, "cert", "",
		"PEM `file` with the application's certificate or public key; "+
			"without it, upload one with PUT /_emulator/certificate")
	fs.StringVar(&users, "users", "dispatcher1,tech17,tech23", "comma-separated user `logins`")
	fs.StringVar(&helpdesks, "helpdesks", "", "comma-separated helpdesk `IDs`")
	fs.DurationVar(&opts.tokenTTL, "token-ttl", 0, "access-token `lifetime`, such as 1h or 90s; 0 means 3600s")

	synopsis := "[--cert FILE] [--addr 127.0.0.1:PORT] [--users LOGIN,...] [--instance NAME]\n" +
		"       [--client-id ID] [--client-secret SECRET] [--helpdesks ID,...] [--token-ttl DURATION]"
	if err := parseFlags(fs, e, synopsis, emulateDescription, args); err != nil {
		return emulateOptions{}, err
	}

	var err error
	if opts.users, err = splitList(users, "--users"); err != nil {
		return emulateOptions{}, &usageError{msg: err.Error()}
	}
	if opts.helpdesks, err = parseIDs(helpdesks, "--helpdesks"); err != nil {
		return emulateOptions{}, &usageError{msg: err.Error()}
	}
	return opts, nil
}

// parseIDs parses a comma-separated list of integer IDs.
func parseIDs(value, flagName string) ([]int64, error) {
	items, err := splitList(value, flagName)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(items))
	for _, item := range items {
		id, err := strconv.ParseInt(item, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s item %q is not an integer ID", flagName, item)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// splitList splits a comma-separated flag value and trims each item. An empty
// value is an empty list, but an empty item is an error.
func splitList(value, flagName string) ([]string, error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	items := strings.Split(value, ",")
	for i, item := range items {
		items[i] = strings.TrimSpace(item)
		if items[i] == "" {
			return nil, fmt.Errorf("%s %q has an empty item", flagName, value)
		}
	}
	return items, nil
}

// newEmulator builds the emulator that opts describe.
func newEmulator(opts emulateOptions) (*emulator.Emulator, error) {
	em, err := emulator.New(emulator.Config{
		Instance:     opts.instance,
		ClientID:     opts.clientID,
		ClientSecret: opts.clientSecret,
		TokenTTL:     opts.tokenTTL,
	})
	if err != nil {
		return nil, usagef("%v", err) // every setting it checks comes from a flag
	}
	if opts.certFile != "" {
		certPEM, err := os.ReadFile(opts.certFile)
		if err != nil {
			return nil, fmt.Errorf("reading --cert: %w", err)
		}
		if err := em.SetCertificate(certPEM); err != nil {
			return nil, fmt.Errorf("--cert %s: %w", opts.certFile, err)
		}
	}
	for _, login := range opts.users {
		em.AddUser(emulator.User{Login: login})
	}
	for _, id := range opts.helpdesks {
		em.AddHelpdesk(id)
	}
	return em, nil
}

// listenLoopback listens on addr after checking that its host is a loopback
// IP address, because the admin API has no authentication. "localhost"
// becomes 127.0.0.1, so that no name lookup is needed.
func listenLoopback(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usagef("--addr %q is invalid: %v", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, usagef("--addr %q is not a loopback address; "+
			"the admin API has no authentication, so use 127.0.0.1:PORT or [::1]:PORT", addr)
	}
	return net.Listen("tcp", net.JoinHostPort(host, port))
}

// runEmulate serves the emulator until ctx is done. It writes one line with
// the listening URL to stdout and logs to stderr.
func runEmulate(ctx context.Context, e *env, args []string) error {
	opts, err := parseEmulateFlags(e, args)
	if err != nil {
		return err
	}
	em, err := newEmulator(opts)
	if err != nil {
		return err
	}
	listener, err := listenLoopback(opts.addr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	srv := &http.Server{
		Handler:           logRequests(logger, em),
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	url := "http://" + listener.Addr().String()
	if _, err := fmt.Fprintf(e.stdout, "OFS emulator listening on %s\n", url); err != nil {
		listener.Close()
		return fmt.Errorf("writing the listening URL to stdout: %w", err)
	}
	logger.Info("emulator started", "url", url, "instance", opts.instance, "client_id", opts.clientID,
		"users", len(opts.users), "helpdesks", len(opts.helpdesks), "certificate", opts.certFile != "")

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(listener) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serving on %s: %w", url, err)
	case <-ctx.Done():
	}
	logger.Info("emulator stopping", "cause", context.Cause(ctx))
	return shutdown(srv, logger)
}

// shutdown waits up to shutdownTimeout for running requests, then closes the
// remaining connections.
func shutdown(srv *http.Server, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		logger.Warn("requests still running after the shutdown timeout; closing their connections",
			"timeout", shutdownTimeout)
		err = srv.Close()
	}
	if err != nil {
		return fmt.Errorf("stopping the server: %w", err)
	}
	logger.Info("emulator stopped")
	return nil
}

// statusRecorder captures the status a handler sends.
type statusRecorder struct {
	http.ResponseWriter
	status int // 0 until a response starts
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(body []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(body)
}

// Unwrap lets http.ResponseController reach the connection, which the
// emulator hijacks to drop it.
func (r *statusRecorder) Unwrap() http.ResponseWriter {
	return r.ResponseWriter
}

// logRequests logs the method, path, status and duration of each request.
// It never logs headers, the query or bodies, which can carry an assertion,
// an access token or Basic credentials. Status 0 means that no response was
// sent: a fault dropped the connection or the client left first.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		recorder := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		defer func() {
			logger.Info("request", "method", r.Method, "path", r.URL.Path,
				"status", recorder.status, "duration", time.Since(start))
		}()
		next.ServeHTTP(recorder, r)
	})
}
