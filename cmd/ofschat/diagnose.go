package main

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// diagnosis explains one broken link of the chain.
type diagnosis struct {
	link    string // what is broken, such as `user (the secret's "user" field)`
	problem string // what is wrong, in one sentence
	err     error  // the error as pkg/ofs or the AWS SDK returned it
	fix     string // the action that repairs the link
}

// Patterns that pick the cause of a rejected token request out of the
// error's title, detail and OAuth fields, tried in this order.
//
// NOTE: they match the wording of this project's emulator and the usual
// OAuth error codes. Real OFS may word a rejection otherwise, and then the
// diagnosis falls back to listing every cause.
var (
	// The Basic username is clientId@instance, so a wrong one is the
	// application's name, not its secret.
	applicationPattern  = regexp.MustCompile(`\baud\b|\baudience\b|basic username`)
	clientSecretPattern = regexp.MustCompile(`\bbasic\b|client.secret|invalid_client`)
	certificatePattern  = regexp.MustCompile(`\bsignature\b|\bcertificate\b`)
	userPattern         = regexp.MustCompile(`\bsub\b|\busers?\b|\blogin\b`)
	clockPattern        = regexp.MustCompile(`\bexpired\b|\biat\b|\bexp\b|\bnbf\b|\bclock\b`)
)

// storeFix returns the command that stores a corrected secret where it came
// from.
func storeFix(source *sourceFlags) string {
	if source.secretFile != "" {
		return fmt.Sprintf("rebuild %s with ofschat secret ... --out %s --force", source.secretFile,
			source.secretFile)
	}
	return fmt.Sprintf("store the corrected secret with ofschat secret ... --put %s", source.secretID)
}

// diagnoseCredentials explains an error of ofs.ParseCredentials and returns
// the check step it belongs to.
func diagnoseCredentials(err error, source *sourceFlags) (string, diagnosis) {
	d := diagnosis{err: err}
	var credErr *ofs.CredentialsError
	if !errors.As(err, &credErr) {
		d.link, d.problem, d.fix = "secret", "the secret could not be read as credentials", storeFix(source)
		return stepFields, d
	}
	switch credErr.Field {
	case "privateKey":
		d.link = `privateKey (the secret's "privateKey" field)`
		d.problem = "the private key cannot sign assertions"
		d.fix = "store an unencrypted RSA key of at least 2048 bits, as ofschat keygen writes it: " +
			"decrypt an encrypted key with openssl pkcs8 -topk8 -nocrypt -in key.pem -out private.pem, " +
			"or make a new pair with ofschat keygen and upload its cert.pem to OFS; then " + storeFix(source)
		return stepKey, d
	case "certificate":
		d.link = `certificate (the secret's "certificate" field)`
		d.problem = "the stored certificate is not the private key's certificate"
		d.fix = "store the cert.pem that was made together with private.pem, and upload that same " +
			"file to the OFS application; or leave the certificate out. Then " + storeFix(source)
		return stepCertificate, d
	case "":
		if strings.Contains(credErr.Reason, "missing required fields") {
			d.link = "fields: " + strings.TrimPrefix(credErr.Reason, "the secret is missing required fields: ")
		} else {
			d.link = "secret JSON"
		}
	default:
		d.link = fmt.Sprintf("field %q", credErr.Field)
	}
	d.problem = "the secret JSON is incomplete or malformed"
	d.fix = "the secret needs instance, clientId, user and privateKey as JSON strings; " + storeFix(source)
	return stepFields, d
}

// diagnoseToken explains an error of the token exchange.
func diagnoseToken(err error, creds *ofs.Credentials, source *sourceFlags) diagnosis {
	d := diagnosis{err: err}
	var apiErr *ofs.APIError
	var netErr *ofs.NetworkError
	switch {
	case errors.As(err, &netErr):
		d.link = "network path to OFS"
		d.problem = "the token request got no response"
		d.fix = fmt.Sprintf("check that %s is the OFS API host (--base-url, $OFS_BASE_URL or the "+
			"instance name) and that this machine can reach it through any proxy or firewall", netErr.URL)
	case errors.As(err, &apiErr) && apiErr.Rejected():
		return diagnoseRejection(apiErr, creds, source)
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound:
		d.link = "OFS URL"
		d.problem = "the host has no OFS token service at /rest/oauthTokenService/v2/token"
		d.fix = "set --base-url (or $OFS_BASE_URL) to the instance's API host, or leave it empty " +
			"to use https://INSTANCE.fs.ocs.oraclecloud.com"
	case errors.As(err, &apiErr) && apiErr.Temporary():
		d.link = "OFS availability"
		d.problem = "the token service is throttled or unavailable"
		d.fix = "run ofschat check again later; if it persists, check the OFS service status"
	default:
		d.link = "token response"
		d.problem = "the token service did not return a usable access token"
		d.fix = "compare the error with the OFS token service documentation and the application's settings"
	}
	return d
}

// diagnoseRejection names the credential that a 400, 401 or 403 from the
// token service points at.
func diagnoseRejection(apiErr *ofs.APIError, creds *ofs.Credentials, source *sourceFlags) diagnosis {
	d := diagnosis{err: apiErr}
	text := strings.ToLower(strings.Join([]string{apiErr.Title, apiErr.Detail, apiErr.ErrorCode,
		apiErr.OAuthError, apiErr.OAuthDescription, apiErr.Body}, " "))
	switch {
	case applicationPattern.MatchString(text):
		d.link = `instance or clientId (the secret's "instance" and "clientId" fields)`
		d.problem = fmt.Sprintf("OFS does not know application %q on instance %q (assertion aud %q)",
			creds.ClientID, creds.Instance, creds.Audience())
		d.fix = "set instance to the name in Configuration > About and clientId to the application's " +
			"client ID in Configuration > Applications; set applicationId only when OFS names a " +
			"different application ID; then " + storeFix(source)
	case clientSecretPattern.MatchString(text):
		d.link = `client secret (the secret's "clientSecret" field)`
		d.problem = "OFS rejected the client credentials sent with the assertion"
		d.fix = "set clientSecret to the application's current client secret from Configuration > " +
			"Applications, or remove it when the application has none; then " + storeFix(source)
	case certificatePattern.MatchString(text):
		d.link = "certificate uploaded to OFS"
		d.problem = "OFS could not verify the assertion's signature with the application's certificate"
		d.fix = fmt.Sprintf("in Configuration > Applications > %s, under \"Authenticate using JWT "+
			"assertion\", upload the certificate of this private key%s and save; or store the key "+
			"whose certificate is uploaded", creds.ClientID, certificateHint(creds))
	case userPattern.MatchString(text):
		d.link = fmt.Sprintf(`user %q (the secret's "user" field)`, creds.User)
		d.problem = fmt.Sprintf("OFS does not accept %q as the user of the assertion", creds.User)
		d.fix = "set user to the login of an active OFS user, spelt as OFS shows it; then " +
			storeFix(source)
	case clockPattern.MatchString(text):
		d.link = "clock"
		d.problem = "OFS rejected the assertion's iat or exp time"
		d.fix = "set this machine's clock right, for example by enabling NTP; ofschat assertion " +
			"prints the times it sends"
	default:
		d.link = "credentials (OFS did not say which one)"
		d.problem = "OFS rejected the token request"
		d.fix = fmt.Sprintf("check each in turn: the certificate of this key%s is uploaded to "+
			"application %q with \"Authenticate using JWT assertion\" on; the application is "+
			"active; %q is an active user; clientSecret is the application's current one, or "+
			"absent when it has none", certificateHint(creds), creds.ClientID, creds.User)
	}
	return d
}

// certificateHint gives the SHA-1 thumbprint of the secret's certificate,
// for comparison with the OFS screen, when there is one.
func certificateHint(creds *ofs.Credentials) string {
	if creds.Certificate == nil {
		return ""
	}
	sum := sha1.Sum(creds.Certificate.Raw)
	return " (SHA-1 thumbprint " + thumbprint(sum[:]) + ")"
}

// diagnoseChat explains an error of the test chat.
func diagnoseChat(err error, creds *ofs.Credentials) diagnosis {
	d := diagnosis{err: err}
	var apiErr *ofs.APIError
	var netErr *ofs.NetworkError
	if errors.As(err, &netErr) {
		d.link = "network path to OFS"
		d.problem = "the chat request got no response"
		d.fix = "check the network path to " + netErr.URL + " and run ofschat check again"
		return d
	}
	if !errors.As(err, &apiErr) {
		d.link, d.problem, d.fix = "chat response", "the chat did not start", "see the error"
		return d
	}
	if apiErr.Endpoint == ofs.EndpointToken {
		return diagnosis{err: err, link: "token", problem: "a new token was needed and failed",
			fix: "run ofschat check again; see the token step"}
	}
	text := strings.ToLower(apiErr.Title + " " + apiErr.Detail + " " + apiErr.Body)
	switch {
	case apiErr.StatusCode == http.StatusUnauthorized:
		d.link = "the application's Collaboration API access"
		d.problem = "OFS issued a token but the chat API rejected it"
		d.fix = fmt.Sprintf("enable the Collaboration API in the API access list of application %q",
			creds.ClientID)
	case strings.Contains(text, "collaboration permission"):
		d.link = fmt.Sprintf("user %q's Collaboration permission", creds.User)
		d.problem = fmt.Sprintf("%q may not start chats", creds.User)
		d.fix = fmt.Sprintf("give the user type of %q the Collaboration permission", creds.User)
	case strings.Contains(text, "helpdesk"):
		d.link = "helpdesk"
		d.problem = "OFS does not accept the helpdesk"
		d.fix = "pass the ID of a helpdesk that exists in OFS with --helpdesk"
	case apiErr.StatusCode == http.StatusBadRequest || apiErr.StatusCode == http.StatusForbidden:
		d.link = "recipients"
		d.problem = fmt.Sprintf("OFS did not let %q start a chat with these recipients", creds.User)
		d.fix = fmt.Sprintf("pass logins of active users with --to, each in a collaboration group "+
			"shared with %q", creds.User)
	case apiErr.Temporary():
		d.link = "OFS availability"
		d.problem = "the chat API is throttled or unavailable"
		d.fix = "run ofschat check again later"
	default:
		d.link, d.problem, d.fix = "chat", "the chat did not start", "see the error"
	}
	return d
}
