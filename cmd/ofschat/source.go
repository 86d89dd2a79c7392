package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// Environment variables that set flag defaults. The Lambda function reads
// the same two.
const (
	envSecretID = "OFS_SECRET_ID"
	envBaseURL  = "OFS_BASE_URL"
)

// defaultTimeout bounds the network calls of one subcommand. The OFS client
// gives each request 30 s, and a token exchange plus a chat is two requests.
const defaultTimeout = 60 * time.Second

// sourceFlags are the flags that name the credentials and OFS, shared by
// every subcommand that uses them.
type sourceFlags struct {
	secretID   string
	secretFile string
	baseURL    string
	timeout    time.Duration
	fs         *flag.FlagSet
}

// register adds --secret-id, --secret-file and --timeout to fs, and
// --base-url when withBaseURL is set.
func (s *sourceFlags) register(fs *flag.FlagSet, e *env, withBaseURL bool) {
	s.fs = fs
	fs.StringVar(&s.secretID, "secret-id", e.getenv(envSecretID),
		"name or ARN of the Secrets Manager `secret` with the credentials JSON; "+
			"the default is $"+envSecretID)
	fs.StringVar(&s.secretFile, "secret-file", "",
		"local `file` with the credentials JSON, instead of --secret-id")
	if withBaseURL {
		fs.StringVar(&s.baseURL, "base-url", e.getenv(envBaseURL),
			"OFS API base `URL`, scheme and host only, such as http://127.0.0.1:8700 for "+
				"the emulator; empty means https://INSTANCE.fs.ocs.oraclecloud.com; the default is $"+envBaseURL)
	}
	fs.DurationVar(&s.timeout, "timeout", defaultTimeout,
		"maximum `duration` of the network calls, such as 30s")
}

// validate checks that exactly one secret source is named. An explicit
// --secret-file wins over a --secret-id that only $OFS_SECRET_ID set.
func (s *sourceFlags) validate() error {
	if s.timeout <= 0 {
		return usagef("--timeout %v is not positive", s.timeout)
	}
	if s.secretFile != "" && s.secretID != "" {
		if wasSet(s.fs, "secret-id") {
			return usagef("--secret-id and --secret-file are both set; use one of them")
		}
		s.secretID = ""
	}
	if s.secretFile == "" && strings.TrimSpace(s.secretID) == "" {
		return usagef("no credentials: use --secret-id NAME (or set %s) or --secret-file FILE", envSecretID)
	}
	return nil
}

// describe names the secret source for output, such as
// `secret file "secret.json"`.
func (s *sourceFlags) describe() string {
	if s.secretFile != "" {
		return fmt.Sprintf("secret file %q", s.secretFile)
	}
	return fmt.Sprintf("Secrets Manager secret %q", s.secretID)
}

// readSecret returns the raw secret JSON. A file that other users can read
// gets a warning on stderr.
func (s *sourceFlags) readSecret(ctx context.Context, e *env) ([]byte, error) {
	if s.secretFile != "" {
		data, err := os.ReadFile(s.secretFile)
		if err != nil {
			return nil, fmt.Errorf("reading --secret-file: %w", err)
		}
		if info, err := os.Stat(s.secretFile); err == nil && info.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(e.stderr, "warning: %s is readable by other users (mode %04o); "+
				"run chmod 600 %s\n", s.secretFile, info.Mode().Perm(), s.secretFile)
		}
		return data, nil
	}
	client, err := newSecretsClient(ctx)
	if err != nil {
		return nil, err
	}
	secret, err := awssecret.New(client, s.secretID, 0, nil).Get(ctx)
	if err != nil {
		return nil, describeSecretError(err)
	}
	return secret.Value, nil
}

// describeSecretError rewords the fixes in an *awssecret.Error, which are
// written for the Lambda function's role, for a person at a terminal.
func describeSecretError(err error) error {
	var secretErr *awssecret.Error
	if !errors.As(err, &secretErr) {
		return err
	}
	switch secretErr.Code {
	case "ResourceNotFoundException":
		return fmt.Errorf("secret %q not found (%s); check --secret-id and that AWS_REGION is "+
			"the secret's region", secretErr.SecretID, secretErr.Code)
	case "AccessDeniedException":
		return fmt.Errorf("reading secret %q was denied (%s); your AWS identity needs "+
			"secretsmanager:GetSecretValue on it, and kms:Decrypt on its key when that is a "+
			"customer managed key", secretErr.SecretID, secretErr.Code)
	}
	return err
}

// newSecretsClient builds a Secrets Manager client from the standard AWS
// configuration: environment, shared files, SSO or instance role, and
// AWS_ENDPOINT_URL_SECRETS_MANAGER.
func newSecretsClient(ctx context.Context) (*secretsmanager.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration failed: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region is configured; set AWS_REGION, or a region " +
			"in the profile that AWS_PROFILE names")
	}
	return secretsmanager.NewFromConfig(cfg), nil
}

// loadCredentials reads and parses the secret.
func (s *sourceFlags) loadCredentials(ctx context.Context, e *env) (*ofs.Credentials, error) {
	data, err := s.readSecret(ctx, e)
	if err != nil {
		return nil, err
	}
	creds, err := ofs.ParseCredentials(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.describe(), err)
	}
	return creds, nil
}

// newClient returns an OFS client for creds at --base-url.
func (s *sourceFlags) newClient(creds *ofs.Credentials, e *env) (*ofs.Client, error) {
	return ofs.NewClient(creds, ofs.Config{BaseURL: strings.TrimSpace(s.baseURL), Now: e.now})
}
