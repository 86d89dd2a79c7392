package emulator_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

func TestTokenThenChatSucceeds(t *testing.T) {
	f := setup(t)
	res := f.postToken(t, assertionForm(f.assertion(t)), nil)
	if res.status != http.StatusOK {
		t.Fatalf("token status = %d, want 200; body %s", res.status, res.body)
	}
	if got := res.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("token Content-Type = %q, want application/json", got)
	}
	if got := res.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("token Cache-Control = %q, want no-store", got)
	}
	var token struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(res.body, &token); err != nil {
		t.Fatalf("token body %s: %v", res.body, err)
	}
	if token.AccessToken == "" {
		t.Error("access_token is empty")
	}
	if token.TokenType != "bearer" {
		t.Errorf("token_type = %q, want bearer", token.TokenType)
	}
	if token.ExpiresIn != 3600 {
		t.Errorf("expires_in = %d, want 3600", token.ExpiresIn)
	}

	res = f.postChat(t, token.AccessToken, `{"text":"Truck 12 needs a tow","recipients":["tech17"]}`)
	if res.status != http.StatusCreated {
		t.Fatalf("chat status = %d, want 201; body %s", res.status, res.body)
	}
	want := `{"chatId":48213,"type":"normal","startedBy":"dispatcher1",` +
		`"startedTime":"2026-01-01 00:00:00","participants":[{"rel":"participants",` +
		`"href":"/rest/ofscCollaboration/v1/chats/48213/participants"}]}`
	if string(res.body) != want {
		t.Errorf("chat body = %s, want %s", res.body, want)
	}
	if got := f.em.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests() = %d, want 1", got)
	}
	requests := f.em.Requests()
	if len(requests) != 2 {
		t.Fatalf("len(Requests()) = %d, want 2", len(requests))
	}
	first := requests[0]
	if first.Endpoint != emulator.EndpointToken || first.Status != http.StatusOK {
		t.Errorf("Requests()[0] endpoint, status = %q, %d; want token, 200", first.Endpoint, first.Status)
	}
	if first.Form.Get("grant_type") != jwtBearer {
		t.Errorf("recorded grant_type = %q, want %q", first.Form.Get("grant_type"), jwtBearer)
	}
	if first.Assertion == nil || first.Assertion.Claims["sub"] != "dispatcher1" {
		t.Errorf("recorded assertion = %+v, want sub dispatcher1", first.Assertion)
	}
	if first.Assertion != nil && first.Assertion.Header["alg"] != "RS256" {
		t.Errorf("recorded alg = %v, want RS256", first.Assertion.Header["alg"])
	}
	if requests[1].Endpoint != emulator.EndpointChat || requests[1].Status != http.StatusCreated {
		t.Errorf("Requests()[1] endpoint, status = %q, %d; want chat, 201",
			requests[1].Endpoint, requests[1].Status)
	}
}

func TestTokenEndpointRouting(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantDetail string
	}{
		{"GET on v2", http.MethodGet, tokenPath, http.StatusMethodNotAllowed, "use POST"},
		{"PUT on v2", http.MethodPut, tokenPath, http.StatusMethodNotAllowed, "use POST"},
		{"v1 path", http.MethodPost, "/rest/oauthTokenService/v1/token", http.StatusNotFound, "v1"},
		{"trailing slash", http.MethodPost, tokenPath + "/", http.StatusNotFound, "no OFS resource"},
		{"other path", http.MethodPost, "/rest/oauth/token", http.StatusNotFound, "no OFS resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			form := assertionForm(f.assertion(t)).Encode()
			req := newRequest(t, tt.method, f.srv.URL+tt.path, "application/x-www-form-urlencoded", form)
			res := send(t, req)
			wantError(t, res, tt.wantStatus, tt.wantDetail)
			if tt.wantStatus == http.StatusMethodNotAllowed && res.header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", res.header.Get("Allow"))
			}
		})
	}
}

func TestTokenFormErrors(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        func(assertion string) string
		wantDetail  string
	}{
		{"JSON content type", "application/json",
			func(a string) string { return assertionForm(a).Encode() }, "Content-Type"},
		{"no content type", "",
			func(a string) string { return assertionForm(a).Encode() }, "missing Content-Type"},
		{"invalid form", "application/x-www-form-urlencoded",
			func(string) string { return "grant_type=%zz" }, "not a valid"},
		{"missing grant_type", "application/x-www-form-urlencoded",
			func(a string) string { return url.Values{"assertion": {a}}.Encode() }, "missing form field grant_type"},
		{"password grant", "application/x-www-form-urlencoded",
			func(string) string { return "grant_type=password" }, `grant_type "password" is not supported`},
		{"grant_type twice", "application/x-www-form-urlencoded",
			func(a string) string {
				return assertionForm(a).Encode() + "&grant_type=client_credentials"
			}, "grant_type appears 2 times"},
		{"client_secret field", "application/x-www-form-urlencoded",
			func(a string) string { return assertionForm(a).Encode() + "&client_secret=x" }, `"client_secret"`},
		{"scope field", "application/x-www-form-urlencoded",
			func(a string) string { return assertionForm(a).Encode() + "&scope=%2FREST" }, `"scope"`},
		{"missing assertion", "application/x-www-form-urlencoded",
			func(string) string { return "grant_type=" + url.QueryEscape(jwtBearer) }, "missing form field assertion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			req := newRequest(t, http.MethodPost, f.srv.URL+tokenPath, tt.contentType, tt.body(f.assertion(t)))
			wantError(t, send(t, req), http.StatusBadRequest, tt.wantDetail)
		})
	}
}

func TestTokenIgnoresQueryFields(t *testing.T) {
	f := setup(t)
	query := assertionForm(f.assertion(t)).Encode()
	req := newRequest(t, http.MethodPost, f.srv.URL+tokenPath+"?"+query, "application/x-www-form-urlencoded", "")
	wantError(t, send(t, req), http.StatusBadRequest, "missing form field grant_type")
}

// basicAuth returns an edit that sets an Authorization header with the
// base64 of credentials, without the escaping that some clients add.
func basicAuth(credentials string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(credentials)))
	}
}

func TestTokenBasicCredentials(t *testing.T) {
	good := testClientID + "@" + testInstance + ":" + testSecret
	tests := []struct {
		name       string
		secret     string
		policy     emulator.BasicPolicy
		edit       func(*http.Request)
		wantStatus int
		wantDetail string
	}{
		{"optional without secret or Basic", "", emulator.BasicOptional, nil, http.StatusOK, ""},
		{"optional with good Basic", testSecret, emulator.BasicOptional, basicAuth(good), http.StatusOK, ""},
		{"optional secret set, no Basic", testSecret, emulator.BasicOptional, nil,
			http.StatusUnauthorized, "missing Basic authorization"},
		{"wrong password", testSecret, emulator.BasicOptional,
			basicAuth("startchat@acme.test:wrong"), http.StatusUnauthorized, "password does not match"},
		{"escaped at sign", testSecret, emulator.BasicOptional,
			basicAuth("startchat%40acme.test:" + testSecret), http.StatusUnauthorized, "URL-escaped"},
		{"missing instance", testSecret, emulator.BasicOptional,
			basicAuth("startchat:" + testSecret), http.StatusUnauthorized, "no @<instance>"},
		{"instance without .test", testSecret, emulator.BasicOptional,
			basicAuth("startchat@acme:" + testSecret), http.StatusUnauthorized, `does not match "startchat@acme.test"`},
		{"swapped username and password", testSecret, emulator.BasicOptional,
			basicAuth(testSecret + ":startchat@acme.test"), http.StatusUnauthorized, "no @<instance>"},
		{"no colon", testSecret, emulator.BasicOptional,
			basicAuth("startchat@acme.test"), http.StatusUnauthorized, "no ':'"},
		{"not base64", testSecret, emulator.BasicOptional,
			func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") },
			http.StatusUnauthorized, "not valid base64"},
		{"Bearer scheme", testSecret, emulator.BasicOptional,
			func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") },
			http.StatusUnauthorized, `scheme "bearer"`},
		{"two Authorization headers", testSecret, emulator.BasicOptional,
			func(r *http.Request) {
				basicAuth(good)(r)
				r.Header.Add("Authorization", r.Header.Get("Authorization"))
			}, http.StatusUnauthorized, "2 Authorization headers"},
		{"Basic without configured secret", "", emulator.BasicOptional,
			basicAuth("startchat@acme.test:anything"), http.StatusUnauthorized, "has no client secret"},
		{"forbidden with Basic", testSecret, emulator.BasicForbidden, basicAuth(good),
			http.StatusUnauthorized, "BasicForbidden"},
		{"forbidden without Basic", testSecret, emulator.BasicForbidden, nil, http.StatusOK, ""},
		{"required with good Basic", testSecret, emulator.BasicRequired, basicAuth(good), http.StatusOK, ""},
		{"required without Basic", testSecret, emulator.BasicRequired, nil,
			http.StatusUnauthorized, "missing Basic authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, func(c *emulator.Config) {
				c.ClientSecret = tt.secret
				c.Basic = tt.policy
			})
			res := f.postToken(t, assertionForm(f.assertion(t)), tt.edit)
			if tt.wantStatus == http.StatusOK {
				if res.status != http.StatusOK {
					t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
				}
				return
			}
			wantError(t, res, tt.wantStatus, tt.wantDetail)
			if strings.Contains(string(res.body), testSecret) {
				t.Errorf("error body %s contains the client secret", res.body)
			}
		})
	}
}

func TestClientCredentialsGrant(t *testing.T) {
	form := url.Values{"grant_type": {"client_credentials"}}
	good := basicAuth(testClientID + "@" + testInstance + ":" + testSecret)
	withSecret := func(c *emulator.Config) { c.ClientSecret = testSecret }

	t.Run("token cannot start chat", func(t *testing.T) {
		f := setup(t, withSecret)
		res := f.postToken(t, form, good)
		if res.status != http.StatusOK {
			t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
		}
		res = f.postChat(t, accessToken(t, res), `{"text":"hi","recipients":["tech17"]}`)
		wantError(t, res, http.StatusUnauthorized, "client_credentials")
	})
	t.Run("without Basic", func(t *testing.T) {
		f := setup(t, withSecret)
		wantError(t, f.postToken(t, form, nil), http.StatusUnauthorized, "client_credentials grant needs Basic")
	})
	t.Run("without configured secret", func(t *testing.T) {
		f := setup(t)
		wantError(t, f.postToken(t, form, good), http.StatusUnauthorized, "has no client secret")
	})
	t.Run("with BasicForbidden", func(t *testing.T) {
		f := setup(t, withSecret, func(c *emulator.Config) { c.Basic = emulator.BasicForbidden })
		if res := f.postToken(t, form, good); res.status != http.StatusOK {
			t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
		}
	})
}

func TestTokenExpiresByClock(t *testing.T) {
	f := setup(t, func(c *emulator.Config) { c.TokenTTL = 2 * time.Minute })
	res := f.postToken(t, assertionForm(f.assertion(t)), nil)
	if !strings.Contains(string(res.body), `"expires_in":120`) {
		t.Errorf("token body = %s, want expires_in 120", res.body)
	}
	token := f.token(t)
	body := `{"text":"hi","recipients":["tech17"]}`

	f.clock.Advance(119 * time.Second)
	if res := f.postChat(t, token, body); res.status != http.StatusCreated {
		t.Fatalf("chat 119 s after issue: status = %d, want 201; body %s", res.status, res.body)
	}
	f.clock.Advance(time.Second)
	wantError(t, f.postChat(t, token, body), http.StatusUnauthorized, "Bearer token expired at 2026-01-01T00:02:00Z")
}

func TestTokenConcurrentRequests(t *testing.T) {
	f := setup(t)
	const callers = 100
	assertions := make([]string, callers)
	for i := range assertions {
		assertions[i] = f.assertion(t)
	}
	statuses := make([]int, callers)
	tokens := make([]string, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			form := assertionForm(assertions[i]).Encode()
			resp, err := f.srv.Client().Post(f.srv.URL+tokenPath, "application/x-www-form-urlencoded",
				strings.NewReader(form))
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			statuses[i] = resp.StatusCode
			var body struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Errorf("caller %d: decoding body: %v", i, err)
			}
			tokens[i] = body.AccessToken
		})
	}
	wg.Wait()

	seen := make(map[string]bool)
	for i := range callers {
		if statuses[i] != http.StatusOK {
			t.Errorf("caller %d status = %d, want 200", i, statuses[i])
		}
		if seen[tokens[i]] {
			t.Errorf("caller %d got a duplicate access token", i)
		}
		seen[tokens[i]] = true
	}
	if got := f.em.TokenRequests(); got != callers {
		t.Errorf("TokenRequests() = %d, want %d", got, callers)
	}
	if got := len(f.em.Requests()); got != callers {
		t.Errorf("len(Requests()) = %d, want %d", got, callers)
	}
}
