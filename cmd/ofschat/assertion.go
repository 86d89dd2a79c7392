package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

const assertionDescription = `
Mints the RS256 JWT assertion that the function sends to the OFS token
service, with the same code, and prints its decoded header and claims with
readable times. It checks that the signature verifies with the key's public
half and, when the secret has a certificate, that x5t is its thumbprint. No
network call to OFS is made.

The assertion is a credential for five minutes, so it is printed only with
--raw: then standard output gets the compact token alone, for a pipe, and the
decoded view goes to standard error.`

func runAssertion(ctx context.Context, e *env, args []string) error {
	var source sourceFlags
	var issuer string
	var raw bool
	flags := flag.NewFlagSet("assertion", flag.ContinueOnError)
	source.register(flags, e, false)
	flags.StringVar(&issuer, "issuer", ofs.DefaultIssuer, "the iss `claim`; OFS records it and does not check it")
	flags.BoolVar(&raw, "raw", false, "print the compact assertion on standard output, and the decoded view on standard error")
	if err := parseFlags(flags, e, "(--secret-id NAME | --secret-file FILE) [--issuer ISS] [--raw]",
		assertionDescription, args); err != nil {
		return err
	}
	if err := source.validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, source.timeout)
	defer cancel()
	creds, err := source.loadCredentials(ctx, e)
	if err != nil {
		return err
	}
	now := e.now()
	assertion, err := ofs.MintAssertion(creds, issuer, now)
	if err != nil {
		return err
	}
	if err := verifyAssertion(assertion, creds, now); err != nil {
		return err
	}

	view := e.stdout
	if raw {
		view = e.stderr
	}
	if err := printAssertion(view, assertion, creds, now); err != nil {
		return err
	}
	if raw {
		fmt.Fprintln(e.stdout, assertion)
	}
	return nil
}

// verifyAssertion checks the signature with the public key and the time
// claims against now, as a verifier with a correct clock would.
func verifyAssertion(assertion string, creds *ofs.Credentials, now time.Time) error {
	_, err := jwt.Parse(assertion, func(*jwt.Token) (any, error) { return &creds.PrivateKey.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithIssuedAt(), jwt.WithExpirationRequired())
	if err != nil {
		return fmt.Errorf("the new assertion does not verify with the key's public half: %w", err)
	}
	return nil
}

// printAssertion prints the header and claims as indented JSON in the order
// they were encoded, then each time claim in UTC.
func printAssertion(w io.Writer, assertion string, creds *ofs.Credentials, now time.Time) error {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return fmt.Errorf("the assertion has %d parts, want 3", len(parts))
	}
	header, err := decodeSegment(parts[0])
	if err != nil {
		return fmt.Errorf("decoding the assertion header: %w", err)
	}
	claims, err := decodeSegment(parts[1])
	if err != nil {
		return fmt.Errorf("decoding the assertion claims: %w", err)
	}
	fmt.Fprintf(w, "Assertion for user %s, signed with RS256; the signature verifies with the key.\n\n",
		creds.User)
	fmt.Fprintf(w, "Header:\n%s\n\nClaims:\n%s\n\nTimes:\n", indentJSON(header), indentJSON(claims))

	var times struct {
		IssuedAt  int64 `json:"iat"`
		ExpiresAt int64 `json:"exp"`
	}
	if err := json.Unmarshal(claims, &times); err != nil {
		return fmt.Errorf("reading iat and exp: %w", err)
	}
	// The claims are whole seconds, so the distances are measured from the
	// whole second of now.
	nowSeconds := time.Unix(now.Unix(), 0)
	fmt.Fprintf(w, "  iat  %d  %s\n", times.IssuedAt, formatTime(time.Unix(times.IssuedAt, 0), nowSeconds))
	fmt.Fprintf(w, "  exp  %d  %s\n", times.ExpiresAt, formatTime(time.Unix(times.ExpiresAt, 0), nowSeconds))
	fmt.Fprintf(w, "  now  %d  %s\n", now.Unix(), nowSeconds.UTC().Format(timeLayout))

	if creds.Certificate == nil {
		fmt.Fprintln(w, "\nThe secret has no certificate, so the header has no x5t.")
		return nil
	}
	var x5t struct {
		Thumbprint string `json:"x5t"`
	}
	if err := json.Unmarshal(header, &x5t); err != nil {
		return fmt.Errorf("reading x5t: %w", err)
	}
	sum := sha1.Sum(creds.Certificate.Raw)
	if x5t.Thumbprint != base64.RawURLEncoding.EncodeToString(sum[:]) {
		return fmt.Errorf("the assertion's x5t %q is not the SHA-1 thumbprint of the secret's "+
			"certificate", x5t.Thumbprint)
	}
	fmt.Fprintf(w, "\nx5t is the SHA-1 thumbprint of the secret's certificate (%s).\n",
		creds.Certificate.Subject)
	return nil
}

func decodeSegment(segment string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(segment)
}

// indentJSON indents a JSON object by two spaces, keeping member order.
func indentJSON(data []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, data, "  ", "  "); err != nil {
		return "  " + string(data)
	}
	return "  " + out.String()
}
