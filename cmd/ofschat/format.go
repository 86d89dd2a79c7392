package main

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
)

// timeLayout is the format of every point in time that ofschat prints, always
// in UTC.
const timeLayout = "2006-01-02 15:04:05 UTC"

// formatTime prints t in UTC with its distance from now, such as
// "2026-01-01 00:05:00 UTC (in 5m0s)".
func formatTime(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d >= 0:
		return fmt.Sprintf("%s (in %s)", t.UTC().Format(timeLayout), formatDuration(d))
	default:
		return fmt.Sprintf("%s (%s ago)", t.UTC().Format(timeLayout), formatDuration(-d))
	}
}

// formatDuration prints d to the second below two days, and in whole days,
// rounded, from two days on.
func formatDuration(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int((d+12*time.Hour)/(24*time.Hour)))
	}
	return d.Round(time.Second).String()
}

// thumbprint formats digest as colon-separated upper-case hex, the form that
// openssl x509 -fingerprint prints.
func thumbprint(digest []byte) string {
	text := strings.ToUpper(hex.EncodeToString(digest))
	pairs := make([]string, 0, len(text)/2)
	for i := 0; i < len(text); i += 2 {
		pairs = append(pairs, text[i:i+2])
	}
	return strings.Join(pairs, ":")
}

// printCertificate prints the facts about cert that an administrator
// compares with the OFS application screen: subject, validity, thumbprints.
func printCertificate(w io.Writer, cert *x509.Certificate, now time.Time) {
	sha1Sum := sha1.Sum(cert.Raw)
	sha256Sum := sha256.Sum256(cert.Raw)
	fmt.Fprintf(w, "  subject             %s\n", cert.Subject)
	fmt.Fprintf(w, "  valid from          %s\n", formatTime(cert.NotBefore, now))
	fmt.Fprintf(w, "  expires             %s\n", formatTime(cert.NotAfter, now))
	fmt.Fprintf(w, "  SHA-1 thumbprint    %s\n", thumbprint(sha1Sum[:]))
	fmt.Fprintf(w, "  SHA-256 thumbprint  %s\n", thumbprint(sha256Sum[:]))
	fmt.Fprintf(w, "  x5t (assertion)     %s\n", base64.RawURLEncoding.EncodeToString(sha1Sum[:]))
}
