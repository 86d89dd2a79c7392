package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

const secretDescription = `
Builds the credentials secret JSON that the Lambda function reads, from flags
and the files that keygen wrote, checks it as the function would, and writes
it to --out FILE (mode 0600), to Secrets Manager with --put NAME, or both.

--put creates the secret, or stores a new version when it exists. Members of
the stored JSON that ofschat does not manage are kept. It uses the standard
AWS credential chain and region: environment, shared config, SSO or role.

The function's HTTP triggers also read a webhookSecret member, unless the
stack is deployed with WebhookAuth=iam (docs/security.md); add it with
--webhook-secret-file.

The private key and the secrets are never printed. Pass each secret in a file
or on standard input, so that it stays out of the shell history and the
process list.`

// webhookSecretField is the secret member that the function's HTTP
// triggers verify request signatures with. pkg/ofs does not read it.
const webhookSecretField = "webhookSecret"

type secretOptions struct {
	instance         string
	clientID         string
	user             string
	applicationID    string
	privateKeyPath   string
	certPath         string
	clientSecretPath string
	webhookPath      string
	out              string
	put              string
	force            bool
	timeout          time.Duration
}

func runSecret(ctx context.Context, e *env, args []string) error {
	var opts secretOptions
	flags := flag.NewFlagSet("secret", flag.ContinueOnError)
	flags.StringVar(&opts.instance, "instance", "",
		"OFS instance `name` from Configuration > About, such as acme.test (required)")
	flags.StringVar(&opts.clientID, "client-id", "",
		"client `ID` of the application in Configuration > Applications (required)")
	flags.StringVar(&opts.user, "user", "", "`login` of the OFS user that starts the chats (required)")
	flags.StringVar(&opts.applicationID, "application-id", "",
		"application `ID` for the assertion's aud claim, when it differs from the client ID")
	flags.StringVar(&opts.privateKeyPath, "private-key", privateKeyFile, "PEM `file` with the private key")
	flags.StringVar(&opts.certPath, "cert", certificateFile,
		"PEM `file` with the certificate uploaded to OFS; an empty value leaves the certificate out")
	flags.StringVar(&opts.clientSecretPath, "client-secret-file", "",
		"`file` whose first line is the application's client secret, or - for standard input; "+
			"leave it out when the application has none")
	flags.StringVar(&opts.webhookPath, "webhook-secret-file", "",
		"`file` whose first line is the webhookSecret that signs requests to the HTTP triggers, "+
			"or - for standard input")
	flags.StringVar(&opts.out, "out", "", "`file` to write the secret JSON to, with mode 0600")
	flags.StringVar(&opts.put, "put", "", "Secrets Manager secret `name` to create or update")
	flags.BoolVar(&opts.force, "force", false, "replace an existing --out file")
	flags.DurationVar(&opts.timeout, "timeout", defaultTimeout,
		"maximum `duration` of the Secrets Manager calls")
	synopsis := "--instance NAME --client-id ID --user LOGIN [--private-key FILE] [--cert FILE]\n" +
		"       [--client-secret-file FILE|-] [--webhook-secret-file FILE|-] [--application-id ID]\n" +
		"       (--out FILE [--force] | --put NAME)"
	if err := parseFlags(flags, e, synopsis, secretDescription, args); err != nil {
		return err
	}
	if err := opts.validate(); err != nil {
		return err
	}

	creds, err := opts.credentials(e)
	if err != nil {
		return err
	}
	data, err := creds.SecretJSON()
	if err != nil {
		return err
	}
	// The function parses the secret with the same code, so a secret that
	// passes here loads there.
	if _, err := ofs.ParseCredentials(data); err != nil {
		return fmt.Errorf("the secret would not work, so nothing was written: %w", err)
	}
	webhookSecret := ""
	if opts.webhookPath != "" {
		if webhookSecret, err = readSecretLine(opts.webhookPath, "--webhook-secret-file", e.stdin); err != nil {
			return err
		}
		data = appendMember(data, webhookSecretField, mustJSONString(webhookSecret))
	}

	printSecretSummary(e, &opts, creds, webhookSecret != "")
	if opts.out != "" {
		if err := writeFile(opts.out, data, 0o600, opts.force); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Wrote %s (mode 0600).\n", opts.out)
	}
	if opts.put != "" {
		ctx, cancel := context.WithTimeout(ctx, opts.timeout)
		defer cancel()
		result, err := putSecret(ctx, opts.put, data)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, result)
	}
	return nil
}

func (o *secretOptions) validate() error {
	var missing []string
	for _, f := range []struct{ flag, value string }{
		{"--instance", o.instance}, {"--client-id", o.clientID}, {"--user", o.user},
		{"--private-key", o.privateKeyPath},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		return usagef("missing %s", strings.Join(missing, ", "))
	}
	if o.out == "" && o.put == "" {
		return usagef("nowhere to store the secret: pass --out FILE, --put NAME or both " +
			"(it is never printed, because it contains the private key)")
	}
	if o.clientSecretPath == "-" && o.webhookPath == "-" {
		return usagef("--client-secret-file and --webhook-secret-file both read standard input; " +
			"give one of them a file")
	}
	if o.timeout <= 0 {
		return usagef("--timeout %v is not positive", o.timeout)
	}
	return nil
}

// credentials reads the key, certificate and client secret files.
func (o *secretOptions) credentials(e *env) (*ofs.Credentials, error) {
	keyPEM, err := os.ReadFile(o.privateKeyPath)
	if err != nil {
		return nil, fmt.Errorf("reading --private-key: %w", err)
	}
	key, err := ofs.ParsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.privateKeyPath, err)
	}
	creds := &ofs.Credentials{
		Instance:      strings.TrimSpace(o.instance),
		ClientID:      strings.TrimSpace(o.clientID),
		ApplicationID: strings.TrimSpace(o.applicationID),
		User:          strings.TrimSpace(o.user),
		PrivateKey:    key,
	}
	if o.certPath != "" {
		certPEM, err := os.ReadFile(o.certPath)
		if err != nil {
			return nil, fmt.Errorf("reading --cert: %w (pass --cert \"\" to store no certificate)", err)
		}
		if creds.Certificate, err = ofs.ParseCertificate(certPEM); err != nil {
			return nil, fmt.Errorf("%s: %w", o.certPath, err)
		}
	}
	if o.clientSecretPath != "" {
		if creds.ClientSecret, err = readSecretLine(o.clientSecretPath, "--client-secret-file", e.stdin); err != nil {
			return nil, err
		}
	}
	return creds, nil
}

// readSecretLine returns the first line of path, or of stdin for "-",
// without its line break. flagName names the flag in errors, which never
// quote the content.
func readSecretLine(path, flagName string, stdin io.Reader) (string, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", flagName, err)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading %s %s: %w", flagName, path, err)
	}
	secret := strings.TrimRight(line, "\r\n")
	if strings.TrimSpace(secret) == "" {
		return "", fmt.Errorf("%s %s is empty; leave the flag out instead", flagName, path)
	}
	return secret, nil
}

// mustJSONString encodes s as a JSON string.
func mustJSONString(s string) []byte {
	data, err := json.Marshal(s)
	if err != nil {
		panic("encoding a string as JSON failed: " + err.Error()) // strings always encode
	}
	return data
}

// printSecretSummary describes the secret without the key or the client
// secret.
func printSecretSummary(e *env, o *secretOptions, creds *ofs.Credentials, hasWebhookSecret bool) {
	w := e.stdout
	optional := func(value string) string {
		if value == "" {
			return "(not set)"
		}
		return value
	}
	clientSecret := "(not set)"
	if creds.ClientSecret != "" {
		clientSecret = "set, from " + o.clientSecretPath
	}

	fmt.Fprintln(w, "Secret JSON:")
	fmt.Fprintf(w, "  instance       %s\n", creds.Instance)
	fmt.Fprintf(w, "  clientId       %s\n", creds.ClientID)
	fmt.Fprintf(w, "  clientSecret   %s\n", clientSecret)
	fmt.Fprintf(w, "  applicationId  %s\n", optional(creds.ApplicationID))
	fmt.Fprintf(w, "  user           %s\n", creds.User)
	fmt.Fprintf(w, "  privateKey     RSA %d bits, from %s\n", creds.PrivateKey.N.BitLen(), o.privateKeyPath)
	if creds.Certificate != nil {
		fmt.Fprintf(w, "  certificate    %s, matches the key, expires %s\n", o.certPath,
			formatTime(creds.Certificate.NotAfter, e.now()))
	} else {
		fmt.Fprintln(w, "  certificate    (not set)")
	}
	if hasWebhookSecret {
		fmt.Fprintf(w, "  webhookSecret  set, from %s\n", o.webhookPath)
	} else {
		fmt.Fprintln(w, "  webhookSecret  (not set; --put keeps a stored one, see docs/security.md)")
	}
	fmt.Fprintf(w, "  assertion aud  %s\n", creds.Audience())
}
