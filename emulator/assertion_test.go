package emulator_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

func TestAssertionChecks(t *testing.T) {
	now := testNow
	unix := func(d time.Duration) int64 { return now.Add(d).Unix() }
	withClaims := func(change func(jwt.MapClaims)) func(*testing.T, *fixture) string {
		return func(t *testing.T, f *fixture) string {
			claims := goodMapClaims(now)
			change(claims)
			return sign(t, jwt.SigningMethodRS256, f.key, claims)
		}
	}
	const goodHeader = `{"alg":"RS256","typ":"JWT"}`
	goodPayload := fmt.Sprintf(`{"sub":"dispatcher1","aud":%q,"iat":%d,"exp":%d}`,
		testAudience, unix(-30*time.Second), unix(5*time.Minute))

	tests := []struct {
		name       string
		assertion  func(*testing.T, *fixture) string
		wantStatus int
		wantDetail string
	}{
		{"alg none", func(t *testing.T, f *fixture) string {
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, goodClaims(now))
		}, http.StatusUnauthorized, `alg is "none"; want "RS256"`},
		{"alg HS256", func(t *testing.T, f *fixture) string {
			return sign(t, jwt.SigningMethodHS256, []byte("shared"), goodClaims(now))
		}, http.StatusUnauthorized, `alg is "HS256"`},
		{"alg RS512", func(t *testing.T, f *fixture) string {
			return sign(t, jwt.SigningMethodRS512, f.key, goodClaims(now))
		}, http.StatusUnauthorized, `alg is "RS512"`},
		{"no alg", func(t *testing.T, f *fixture) string {
			return signRaw(t, f.key, `{"typ":"JWT"}`, goodPayload)
		}, http.StatusUnauthorized, "has no alg"},
		{"crit header", func(t *testing.T, f *fixture) string {
			return signRaw(t, f.key, `{"alg":"RS256","crit":["exp"]}`, goodPayload)
		}, http.StatusUnauthorized, "crit"},
		{"wrong key", func(t *testing.T, f *fixture) string {
			return sign(t, jwt.SigningMethodRS256, rsaKey(t, 1), goodClaims(now))
		}, http.StatusUnauthorized, "signature does not verify"},
		{"aud array", withClaims(func(c jwt.MapClaims) { c["aud"] = []string{testAudience} }),
			http.StatusUnauthorized, "aud is a JSON array"},
		{"aud without .test", withClaims(func(c jwt.MapClaims) { c["aud"] = "ofsc:acme:startchat" }),
			http.StatusUnauthorized, `aud "ofsc:acme:startchat" does not match "ofsc:acme.test:startchat"`},
		{"aud missing", withClaims(func(c jwt.MapClaims) { delete(c, "aud") }),
			http.StatusUnauthorized, "no aud claim"},
		{"aud number", withClaims(func(c jwt.MapClaims) { c["aud"] = 7 }),
			http.StatusUnauthorized, "aud is 7"},
		{"unknown sub", withClaims(func(c jwt.MapClaims) { c["sub"] = "ghost" }),
			http.StatusUnauthorized, `sub "ghost" is not a known user login`},
		{"sub missing", withClaims(func(c jwt.MapClaims) { delete(c, "sub") }),
			http.StatusUnauthorized, "no sub claim"},
		{"sub number", withClaims(func(c jwt.MapClaims) { c["sub"] = 42 }),
			http.StatusUnauthorized, "sub is 42"},
		{"app subject not enabled", withClaims(func(c jwt.MapClaims) { c["sub"] = testAudience }),
			http.StatusUnauthorized, "AllowAppSubject"},
		{"expired", withClaims(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = unix(-2*time.Minute), unix(-time.Second)
		}), http.StatusUnauthorized, "expired at 2025-12-31T23:59:59Z"},
		{"exp equals now", withClaims(func(c jwt.MapClaims) { c["exp"] = unix(0) }),
			http.StatusUnauthorized, "expired"},
		{"iat in future", withClaims(func(c jwt.MapClaims) { c["iat"] = unix(61 * time.Second) }),
			http.StatusUnauthorized, "61 s ahead"},
		{"iat 60 s ahead", withClaims(func(c jwt.MapClaims) { c["iat"] = unix(60 * time.Second) }),
			http.StatusOK, ""},
		{"lifetime too long", withClaims(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = unix(-30*time.Second), unix(10*time.Minute)
		}), http.StatusUnauthorized, "lifetime exp-iat is 630 s"},
		{"lifetime exactly 10 min", withClaims(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = unix(-30*time.Second), unix(9*time.Minute+30*time.Second)
		}), http.StatusOK, ""},
		{"exp before iat", withClaims(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = unix(20*time.Second), unix(10*time.Second)
		}), http.StatusUnauthorized, "is not after iat"},
		{"non-integer iat", withClaims(func(c jwt.MapClaims) { c["iat"] = float64(unix(0)) + 0.5 }),
			http.StatusUnauthorized, "iat is 1767225600.5; want integer"},
		{"string iat", withClaims(func(c jwt.MapClaims) { c["iat"] = fmt.Sprint(unix(0)) }),
			http.StatusUnauthorized, `iat is "1767225600"; want integer`},
		{"missing iat", withClaims(func(c jwt.MapClaims) { delete(c, "iat") }),
			http.StatusUnauthorized, "no iat claim"},
		{"missing exp", withClaims(func(c jwt.MapClaims) { delete(c, "exp") }),
			http.StatusUnauthorized, "no exp claim"},
		{"nbf in future", withClaims(func(c jwt.MapClaims) { c["nbf"] = unix(2 * time.Minute) }),
			http.StatusUnauthorized, "not valid before"},
		{"iss not checked", withClaims(func(c jwt.MapClaims) { c["iss"] = "my mommy" }),
			http.StatusOK, ""},
		{"two parts", func(*testing.T, *fixture) string { return "eyJhbGciOiJSUzI1NiJ9.e30" },
			http.StatusUnauthorized, "2 dot-separated parts, want 3"},
		{"header not base64url", func(*testing.T, *fixture) string { return "!!!.e30.c2ln" },
			http.StatusUnauthorized, "header is not unpadded base64url"},
		{"header not JSON", func(t *testing.T, f *fixture) string {
			return signRaw(t, f.key, `not json`, goodPayload)
		}, http.StatusUnauthorized, "header is not a JSON object"},
		{"duplicate aud", func(t *testing.T, f *fixture) string {
			payload := fmt.Sprintf(`{"sub":"dispatcher1","aud":"x","aud":%q,"iat":%d,"exp":%d}`,
				testAudience, unix(-30*time.Second), unix(5*time.Minute))
			return signRaw(t, f.key, goodHeader, payload)
		}, http.StatusUnauthorized, `member "aud" more than once`},
		{"padded signature", func(t *testing.T, f *fixture) string {
			return signRaw(t, f.key, goodHeader, goodPayload) + "="
		}, http.StatusUnauthorized, "signature is not unpadded base64url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			res := f.postToken(t, assertionForm(tt.assertion(t, f)), nil)
			if tt.wantStatus == http.StatusOK {
				if res.status != http.StatusOK {
					t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
				}
				return
			}
			wantError(t, res, tt.wantStatus, tt.wantDetail)
		})
	}
}

func TestAssertionRecordedWhenRejected(t *testing.T) {
	f := setup(t)
	claims := goodMapClaims(testNow)
	claims["aud"] = []string{testAudience}
	f.postToken(t, assertionForm(sign(t, jwt.SigningMethodRS256, f.key, claims)), nil)

	requests := f.em.Requests()
	if len(requests) != 1 {
		t.Fatalf("len(Requests()) = %d, want 1", len(requests))
	}
	a := requests[0].Assertion
	if a == nil {
		t.Fatal("Requests()[0].Assertion = nil, want the decoded assertion")
	}
	if _, isArray := a.Claims["aud"].([]any); !isArray {
		t.Errorf("recorded aud = %#v, want an array", a.Claims["aud"])
	}
	if requests[0].Status != http.StatusUnauthorized {
		t.Errorf("recorded status = %d, want 401", requests[0].Status)
	}
}

func TestAssertionWithoutCertificate(t *testing.T) {
	em, err := emulator.New(emulator.Config{Instance: testInstance, ClientID: testClientID,
		Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	em.AddUser(emulator.User{Login: "dispatcher1"})
	f := &fixture{em: em, clock: &testClock{now: testNow}, key: rsaKey(t, 0)}
	f.srv = newServer(t, em)
	wantError(t, f.postToken(t, assertionForm(f.assertion(t)), nil), http.StatusUnauthorized,
		"no certificate is uploaded")
}

func TestAppSubjectAllowed(t *testing.T) {
	f := setup(t, func(c *emulator.Config) { c.AllowAppSubject = true })
	claims := goodClaims(testNow)
	claims.Sub = testAudience
	res := f.postToken(t, assertionForm(sign(t, jwt.SigningMethodRS256, f.key, claims)), nil)
	if res.status != http.StatusOK {
		t.Fatalf("token status = %d, want 200; body %s", res.status, res.body)
	}
	token := accessToken(t, res)
	res = f.postChat(t, token, `{"text":"hi","recipients":["tech17"]}`)
	if res.status != http.StatusCreated {
		t.Fatalf("chat status = %d, want 201; body %s", res.status, res.body)
	}
	if got := f.em.Chats()[0].StartedBy; got != testAudience {
		t.Errorf("StartedBy = %q, want %q", got, testAudience)
	}
}
