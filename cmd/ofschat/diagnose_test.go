package main

import (
	"strings"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

func TestDiagnoseRejectionWording(t *testing.T) {
	creds := &ofs.Credentials{Instance: "acme.test", ClientID: "startchat", User: "dispatcher1"}
	source := &sourceFlags{secretID: "ofs/startchat"}
	tests := []struct {
		name     string
		err      ofs.APIError
		wantLink string
	}{
		{"OAuth invalid_client", ofs.APIError{OAuthError: "invalid_client"}, "client secret"},
		{"expired assertion", ofs.APIError{Title: "Unauthorized", Detail: "assertion expired at 10:00"}, "clock"},
		{"iat in the future", ofs.APIError{Detail: "assertion iat is 90s ahead of the clock"}, "clock"},
		{"audience", ofs.APIError{Detail: "invalid audience"}, "instance or clientId"},
		{"unknown login", ofs.APIError{Detail: "User not found"}, `user "dispatcher1"`},
		{"signature", ofs.APIError{OAuthDescription: "Invalid signature"}, "certificate uploaded to OFS"},
		{"bare invalid_grant", ofs.APIError{OAuthError: "invalid_grant"}, "credentials (OFS did not say which one)"},
		{"HTML page", ofs.APIError{Body: "<html>Forbidden</html>"}, "credentials (OFS did not say which one)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.err.Endpoint, tt.err.StatusCode = ofs.EndpointToken, 401
			d := diagnoseRejection(&tt.err, creds, source)
			if !strings.HasPrefix(d.link, tt.wantLink) {
				t.Errorf("link = %q, want it to start with %q", d.link, tt.wantLink)
			}
			if d.fix == "" || d.problem == "" {
				t.Errorf("diagnosis %+v lacks a problem or a fix", d)
			}
		})
	}
}

func TestDiagnoseRejectionListsEveryCause(t *testing.T) {
	creds := &ofs.Credentials{Instance: "acme.test", ClientID: "startchat", User: "dispatcher1"}
	d := diagnoseRejection(&ofs.APIError{Endpoint: ofs.EndpointToken, StatusCode: 400, OAuthError: "invalid_grant"},
		creds, &sourceFlags{secretFile: "secret.json"})
	for _, want := range []string{"certificate of this key", `application "startchat"`, `"dispatcher1" is an active user`,
		"clientSecret"} {
		if !strings.Contains(d.fix, want) {
			t.Errorf("fix %q lacks %q", d.fix, want)
		}
	}
}
