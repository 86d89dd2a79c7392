package localstack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

const (
	// DefaultSecretName is the secret that Stack stores the credentials in.
	DefaultSecretName = "ofs-startchat/credentials"
	// IdempotencyTable is the DynamoDB table, in moto, that Stack creates
	// and names in OFS_IDEMPOTENCY_TABLE.
	IdempotencyTable = "ofs-startchat-idempotency"
	// DefaultRecipients is the OFS_DEFAULT_RECIPIENTS that Stack sets.
	DefaultRecipients = "tech17"
	// functionTimeout is the AWS_LAMBDA_FUNCTION_TIMEOUT, in seconds, that
	// Stack gives RIE. It matches the Timeout in template.yaml.
	functionTimeout = "30"
)

// StackConfig describes the function that StartStack runs.
type StackConfig struct {
	// Bootstrap is the path of a host-arch bootstrap from BuildBootstrap.
	// Required.
	Bootstrap string
	// RIEPath is the aws-lambda-rie binary. Empty means the one that FindRIE
	// returns.
	RIEPath string
	// SecretName is the name of the secret. Empty means DefaultSecretName.
	SecretName string
	// Env is added to the function's environment and overrides what Stack
	// sets, such as OFS_DEFAULT_RECIPIENTS.
	Env map[string]string
	// Output, when set, receives a copy of what RIE and the bootstrap print.
	Output io.Writer
}

// Stack is every local part that the startchat function needs: moto with
// the credentials secret, the OFS emulator that trusts the secret's
// certificate, and RIE running the bootstrap against both.
type Stack struct {
	Identity     *Identity
	ClientSecret string // random, in the secret and required by the emulator
	// WebhookSecret is random and stored in the secret as webhookSecret;
	// Invoke signs HTTP events with it.
	WebhookSecret string
	SecretID      string // the secret's name, as OFS_SECRET_ID
	Moto          *Moto
	OFS           *OFS
	RIE           *RIE

	signMu     sync.Mutex
	lastSigned time.Time // the Unix second that Invoke signed with last
}

// StartStack starts moto, stores a new identity's secret in it, creates the
// idempotency table, starts the OFS emulator with that identity, and starts
// RIE with the function's environment: OFS_SECRET_ID, OFS_BASE_URL (the
// emulator), OFS_DEFAULT_RECIPIENTS=tech17, OFS_IDEMPOTENCY_TABLE and
// AWSEnv for moto (DynamoDB too), then cfg.Env. On error it stops whatever
// it started. Call Stop when done.
func StartStack(ctx context.Context, cfg StackConfig) (_ *Stack, err error) {
	s := &Stack{SecretID: cfg.SecretName, ClientSecret: rand.Text(), WebhookSecret: rand.Text()}
	if s.SecretID == "" {
		s.SecretID = DefaultSecretName
	}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()

	if s.Identity, err = NewIdentity(DefaultUser); err != nil {
		return nil, err
	}
	if s.Moto, err = StartMoto(ctx); err != nil {
		return nil, err
	}
	secret, err := withField(s.Identity.SecretJSON(DefaultInstance, DefaultClientID, s.ClientSecret),
		"webhookSecret", s.WebhookSecret)
	if err != nil {
		return nil, err
	}
	_, err = SecretsClient(s.Moto.URL()).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(s.SecretID),
		SecretString: aws.String(string(secret)),
	})
	if err != nil {
		return nil, fmt.Errorf("localstack: storing secret %q in moto failed: %w", s.SecretID, err)
	}

	s.OFS, err = StartEmulator(emulator.Config{ClientSecret: s.ClientSecret}, s.Identity)
	if err != nil {
		return nil, err
	}

	if err = CreateIdempotencyTable(ctx, s.Moto.URL(), IdempotencyTable); err != nil {
		return nil, err
	}

	env := AWSEnv(s.Moto.URL())
	env["AWS_ENDPOINT_URL_DYNAMODB"] = s.Moto.URL()
	env["OFS_IDEMPOTENCY_TABLE"] = IdempotencyTable
	env["OFS_SECRET_ID"] = s.SecretID
	env["OFS_BASE_URL"] = s.OFS.URL()
	env["OFS_DEFAULT_RECIPIENTS"] = DefaultRecipients
	env["AWS_LAMBDA_FUNCTION_NAME"] = "StartChatFunction"
	// template.yaml sets LoggingConfig.LogFormat to JSON, and Lambda then
	// passes this variable to the function.
	env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
	env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = functionTimeout
	for name, value := range cfg.Env {
		env[name] = value
	}
	s.RIE, err = StartRIE(ctx, RIEConfig{Bootstrap: cfg.Bootstrap, Env: env,
		RIEPath: cfg.RIEPath, Output: cfg.Output})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Stop stops RIE, the emulator and moto, in that order, skipping parts
// that never started. It is safe to call twice.
func (s *Stack) Stop() {
	if s.RIE != nil {
		s.RIE.Stop()
	}
	if s.OFS != nil {
		s.OFS.Stop()
	}
	if s.Moto != nil {
		s.Moto.Stop()
	}
}

// withField returns the secret JSON with one more string field.
func withField(secret []byte, name, value string) ([]byte, error) {
	var fields map[string]any
	if err := json.Unmarshal(secret, &fields); err != nil {
		return nil, fmt.Errorf("localstack: decoding the secret failed: %w", err)
	}
	fields[name] = value
	return json.Marshal(fields)
}
