package bench

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// OpGetSecretValue is the X-Amz-Target of a Secrets Manager read, as
// DelayProxy.Requests counts it.
const OpGetSecretValue = "secretsmanager.GetSecretValue"

// Env is a Secrets Manager endpoint holding the function's credentials and
// the OFS emulator that trusts them, each behind a DelayProxy with the same
// delay, as the function reaches them across a network.
type Env struct {
	Identity      *localstack.Identity
	ClientSecret  string
	WebhookSecret string
	SecretID      string
	// SecretJSON is the SecretString stored under SecretID.
	SecretJSON []byte
	// Secrets is the proxy in front of the SecretsEndpoint; give its URL to
	// AWS clients.
	Secrets *DelayProxy
	// OFS is the proxy in front of the emulator; give its URL as the OFS
	// base URL.
	OFS      *DelayProxy
	Emulator *emulator.Emulator

	secrets    *SecretsEndpoint
	ofsService *localstack.OFS
}

// StartEnv serves a fresh identity's secret from a SecretsEndpoint and the
// OFS emulator, and puts a DelayProxy that adds delay in front of each. On
// error it stops what it started. Call Stop when done.
func StartEnv(delay time.Duration) (_ *Env, err error) {
	e := &Env{ClientSecret: rand.Text(), WebhookSecret: rand.Text(),
		SecretID: "ofs-startchat/bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	defer func() {
		if err != nil {
			e.Stop()
		}
	}()
	if e.Identity, err = localstack.NewIdentity(localstack.DefaultUser); err != nil {
		return nil, err
	}
	if e.SecretJSON, err = e.secretJSON(); err != nil {
		return nil, err
	}
	if e.secrets, err = StartSecretsEndpoint(e.SecretID, e.SecretJSON); err != nil {
		return nil, err
	}
	e.ofsService, err = localstack.StartEmulator(emulator.Config{ClientSecret: e.ClientSecret}, e.Identity)
	if err != nil {
		return nil, err
	}
	e.Emulator = e.ofsService.Emulator
	if e.Secrets, err = StartDelayProxy(e.secrets.URL(), delay); err != nil {
		return nil, err
	}
	if e.OFS, err = StartDelayProxy(e.ofsService.URL(), delay); err != nil {
		return nil, err
	}
	return e, nil
}

// secretJSON returns the function's secret: the identity's credentials and
// a webhookSecret.
func (e *Env) secretJSON() ([]byte, error) {
	var fields map[string]any
	secret := e.Identity.SecretJSON(localstack.DefaultInstance, localstack.DefaultClientID, e.ClientSecret)
	if err := json.Unmarshal(secret, &fields); err != nil {
		return nil, fmt.Errorf("bench: decoding the secret failed: %w", err)
	}
	fields["webhookSecret"] = e.WebhookSecret
	return json.Marshal(fields)
}

// SecretFetches returns how many GetSecretValue requests went through the
// proxy.
func (e *Env) SecretFetches() int { return e.Secrets.Requests(OpGetSecretValue) }

// FunctionEnv returns the environment under which the startchat bootstrap
// reads this Env's secret and sends to its emulator, as localstack.StartStack
// sets it up.
func (e *Env) FunctionEnv() map[string]string {
	env := localstack.AWSEnv(e.Secrets.URL())
	env["OFS_SECRET_ID"] = e.SecretID
	env["OFS_BASE_URL"] = e.OFS.URL()
	env["OFS_DEFAULT_RECIPIENTS"] = localstack.DefaultRecipients
	env["AWS_LAMBDA_FUNCTION_NAME"] = "StartChatFunction"
	env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = "30"
	return env
}

// Stop stops the proxies and the servers behind them. It is safe to call
// twice.
func (e *Env) Stop() {
	for _, proxy := range []*DelayProxy{e.Secrets, e.OFS} {
		if proxy != nil {
			proxy.Stop()
		}
	}
	if e.ofsService != nil {
		e.ofsService.Stop()
	}
	if e.secrets != nil {
		e.secrets.Stop()
	}
}
