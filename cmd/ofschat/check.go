package main

import (
	"context"
	"crypto/sha1"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// The links of the chain, in the order check tests them.
const (
	stepSecret      = "secret"
	stepFields      = "fields"
	stepKey         = "key"
	stepCertificate = "certificate"
	stepURL         = "OFS URL"
	stepToken       = "token"
	stepChat        = "chat"
)

var checkSteps = []string{stepSecret, stepFields, stepKey, stepCertificate, stepURL, stepToken, stepChat}

// defaultMinValidity is how long the certificate must stay valid for check
// to pass: 30 days leave time to make, upload and store a new pair.
const defaultMinValidity = 30 * 24 * time.Hour

const checkDescription = `
Tests the chain from the secret to a chat one link at a time, with the
function's code, and stops at the first broken link with a diagnosis and
the fix:

  secret       the secret file or Secrets Manager secret can be read
  fields       it is JSON with instance, clientId, user and privateKey
  key          the private key parses, is RSA of 2048 bits or more, and is unencrypted
  certificate  the stored certificate (optional) belongs to the key and stays
               valid for --min-validity
  OFS URL      the OFS API address is valid
  token        OFS exchanges an assertion for an access token, which proves the
               uploaded certificate, the user, the client ID and the client secret
  chat         with --to or --helpdesk: a test chat starts

Exit code 0 means every link works, 1 that a link is broken.`

func runCheck(ctx context.Context, e *env, args []string) error {
	var source sourceFlags
	var chat chatFlags
	var minValidity time.Duration
	flags := flag.NewFlagSet("check", flag.ContinueOnError)
	source.register(flags, e, true)
	chat.register(flags, "Test chat from ofschat check")
	flags.DurationVar(&minValidity, "min-validity", defaultMinValidity,
		"minimum remaining certificate `lifetime`, such as 720h; 0 accepts any unexpired certificate")
	synopsis := "(--secret-id NAME | --secret-file FILE) [--base-url URL]\n" +
		"       [--to LOGIN[,LOGIN] | --helpdesk ID] [--text TEXT] [--min-validity DURATION]"
	if err := parseFlags(flags, e, synopsis, checkDescription, args); err != nil {
		return err
	}
	if err := source.validate(); err != nil {
		return err
	}
	if minValidity < 0 {
		return usagef("--min-validity %v is negative", minValidity)
	}
	var req ofs.ChatRequest
	if chat.set() {
		var err error
		if req, err = chat.request(); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, source.timeout)
	defer cancel()

	r := &checkReport{w: e.stdout}
	fmt.Fprintf(r.w, "Checking %s:\n\n", source.describe())

	data, err := source.readSecret(ctx, e)
	if err != nil {
		return r.fail(stepSecret, diagnosis{link: source.describe(), problem: "the secret cannot be read",
			err: err, fix: secretReadFix(&source)})
	}
	r.pass(stepSecret, "read %d bytes", len(data))

	creds, err := ofs.ParseCredentials(data)
	if err != nil {
		step, d := diagnoseCredentials(err, &source)
		return r.fail(step, d)
	}
	clientSecret := "no clientSecret"
	if creds.ClientSecret != "" {
		clientSecret = "clientSecret set"
	}
	r.pass(stepFields, "instance %s, clientId %s, user %s, %s; aud %s",
		creds.Instance, creds.ClientID, creds.User, clientSecret, creds.Audience())
	r.pass(stepKey, "RSA %d bits, unencrypted", creds.PrivateKey.N.BitLen())

	if d, ok := checkCertificate(creds, e.now(), minValidity, &source); !ok {
		return r.fail(stepCertificate, d)
	} else if creds.Certificate == nil {
		r.skip(stepCertificate, "the secret has no certificate; the token step tests the key "+
			"against the certificate uploaded to OFS")
	} else {
		sum := sha1.Sum(creds.Certificate.Raw)
		r.pass(stepCertificate, "belongs to the key; %s; expires %s; SHA-1 %s", creds.Certificate.Subject,
			formatTime(creds.Certificate.NotAfter, e.now()), thumbprint(sum[:]))
	}

	client, err := source.newClient(creds, e)
	if err != nil {
		return r.fail(stepURL, diagnosis{link: "OFS URL (--base-url, $OFS_BASE_URL or the instance)",
			problem: "the OFS API address is invalid", err: err,
			fix: "pass --base-url https://HOST with no path, or leave it empty to use " +
				"https://INSTANCE.fs.ocs.oraclecloud.com"})
	}
	r.pass(stepURL, "%s", client.BaseURL())

	info, err := client.Token(ctx)
	if err != nil {
		return r.fail(stepToken, diagnoseToken(err, creds, &source))
	}
	r.pass(stepToken, "%s token for %s, lifetime %s", info.Type, creds.User, formatDuration(info.Lifetime))

	if !chat.set() {
		r.skip(stepChat, "no test chat; pass --to LOGIN or --helpdesk ID to start one")
	} else {
		started, err := client.StartChat(ctx, req)
		if err != nil {
			return r.fail(stepChat, diagnoseChat(err, creds))
		}
		r.pass(stepChat, "chat %d started with %s", started.ChatID, addressees(req))
	}
	fmt.Fprintln(r.w, "\nEvery link works.")
	return nil
}

// checkCertificate checks the stored certificate's validity period. A
// missing certificate passes.
func checkCertificate(creds *ofs.Credentials, now time.Time, minValidity time.Duration,
	source *sourceFlags) (diagnosis, bool) {
	cert := creds.Certificate
	if cert == nil {
		return diagnosis{}, true
	}
	renew := "make a new pair with ofschat keygen --dir NEW, upload NEW/cert.pem to the OFS " +
		"application, and " + storeFix(source)
	d := diagnosis{link: `certificate (the secret's "certificate" field)`, fix: renew}
	switch {
	case now.Before(cert.NotBefore):
		d.problem = "the certificate is not valid until " + formatTime(cert.NotBefore, now)
		d.fix = "check this machine's clock, or " + renew
	case !now.Before(cert.NotAfter):
		d.problem = "the certificate expired " + formatTime(cert.NotAfter, now)
	case cert.NotAfter.Sub(now) < minValidity:
		d.problem = fmt.Sprintf("the certificate expires %s, within --min-validity %s",
			formatTime(cert.NotAfter, now), formatDuration(minValidity))
	default:
		return diagnosis{}, true
	}
	return d, false
}

// secretReadFix is the fix for a secret that cannot be read.
func secretReadFix(source *sourceFlags) string {
	if source.secretFile != "" {
		return "check the --secret-file path; ofschat secret --out FILE writes the file"
	}
	return "check --secret-id, AWS_REGION and your AWS credentials; ofschat secret --put NAME " +
		"creates the secret"
}

// checkReport prints one line per link.
type checkReport struct {
	w    io.Writer
	done int // links reported so far
}

func (r *checkReport) pass(step, format string, args ...any) {
	r.line("ok", step, fmt.Sprintf(format, args...))
}

func (r *checkReport) skip(step, text string) { r.line("skip", step, text) }

func (r *checkReport) line(status, step, text string) {
	r.markPassedUpTo(step)
	fmt.Fprintf(r.w, "  %-5s %-12s %s\n", status, step, text)
	r.done++
}

// passedInside describes the links that ofs.ParseCredentials tests before
// the key and the certificate, for a failure in one of those two.
var passedInside = map[string]string{
	stepFields: "instance, clientId, user and privateKey are present",
	stepKey:    "parses as an unencrypted RSA key of 2048 bits or more",
}

// markPassedUpTo reports the links before step that passed within the same
// call, such as fields and key inside ofs.ParseCredentials.
func (r *checkReport) markPassedUpTo(step string) {
	for r.done < len(checkSteps) && checkSteps[r.done] != step {
		fmt.Fprintf(r.w, "  %-5s %-12s %s\n", "ok", checkSteps[r.done], passedInside[checkSteps[r.done]])
		r.done++
	}
}

// fail prints the diagnosis for step and the links left unchecked, and
// returns errReported.
func (r *checkReport) fail(step string, d diagnosis) error {
	r.markPassedUpTo(step)
	fmt.Fprintf(r.w, "  %-5s %-12s %s\n", "FAIL", step, d.problem)
	indent := strings.Repeat(" ", 8)
	fmt.Fprintf(r.w, "%sbroken link  %s\n", indent, d.link)
	if d.err != nil {
		fmt.Fprintf(r.w, "%serror        %v\n", indent, d.err)
	}
	fmt.Fprintf(r.w, "%sfix          %s\n", indent, d.fix)
	r.done++
	for ; r.done < len(checkSteps); r.done++ {
		fmt.Fprintf(r.w, "  %-5s %-12s %s\n", "-", checkSteps[r.done], "not checked")
	}
	fmt.Fprintf(r.w, "\nThe chain is broken at: %s. Fix it and run ofschat check again.\n", d.link)
	return errReported
}
