package ofs

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestSecretJSONRoundTrip(t *testing.T) {
	id, _ := testIdentities(t)
	creds, err := ParseCredentials(secretJSON(t, id, map[string]string{
		"privateKey": id.pkcs1PEM, "applicationId": "best_app"}))
	if err != nil {
		t.Fatalf("ParseCredentials: %v", err)
	}
	data, err := creds.SecretJSON()
	if err != nil {
		t.Fatalf("SecretJSON: %v", err)
	}
	var fields map[string]string
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatalf("SecretJSON output is not an object of strings: %v", err)
	}
	want := map[string]string{
		"instance":      "acme.test",
		"clientId":      "startchat",
		"clientSecret":  "s3cr3t-client",
		"applicationId": "best_app",
		"user":          "dispatcher1",
		"privateKey":    id.pkcs8PEM, // PKCS#1 input is written as PKCS#8
		"certificate":   id.certPEM,
	}
	for name, value := range want {
		if fields[name] != value {
			t.Errorf("%s = %q, want %q", name, fields[name], value)
		}
	}
	if len(fields) != len(want) {
		t.Errorf("SecretJSON has %d members, want %d", len(fields), len(want))
	}
	again, err := ParseCredentials(data)
	if err != nil {
		t.Fatalf("ParseCredentials(SecretJSON()): %v", err)
	}
	if !again.PrivateKey.Equal(creds.PrivateKey) || !again.Certificate.Equal(creds.Certificate) {
		t.Error("the round trip changed the key or the certificate")
	}
}

func TestSecretJSONLeavesOutEmptyOptionals(t *testing.T) {
	id, _ := testIdentities(t)
	creds, err := ParseCredentials(secretJSON(t, id, map[string]string{"clientSecret": "", "certificate": ""}))
	if err != nil {
		t.Fatalf("ParseCredentials: %v", err)
	}
	data, err := creds.SecretJSON()
	if err != nil {
		t.Fatalf("SecretJSON: %v", err)
	}
	var fields map[string]string
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"clientId", "instance", "privateKey", "user"}; !slices.Equal(names, want) {
		t.Errorf("members = %v, want %v", names, want)
	}
	for _, name := range names {
		if !slices.Contains(SecretFieldNames(), name) {
			t.Errorf("member %q is not in SecretFieldNames()", name)
		}
	}
}

func TestSecretJSONNeedsKey(t *testing.T) {
	if _, err := (&Credentials{Instance: "acme.test"}).SecretJSON(); err == nil {
		t.Error("SecretJSON without a key = nil error, want an error")
	}
}
