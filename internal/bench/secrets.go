package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// SecretsEndpoint is an in-process stand-in for the Secrets Manager API on a
// loopback port. It serves GetSecretValue, in the AWS JSON 1.1 protocol
// that the SDK speaks, for the one secret it holds, and checks no
// signature. It responds in microseconds, where moto_server takes several
// milliseconds of Python per call, which the benchmarks would count as the
// function's own time.
type SecretsEndpoint struct {
	name    string
	value   string
	created time.Time
	server  *http.Server
	url     string
}

// StartSecretsEndpoint serves the secret name with SecretString value on a
// free 127.0.0.1 port. Call Stop when done.
func StartSecretsEndpoint(name string, value []byte) (*SecretsEndpoint, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: listening for the Secrets Manager endpoint failed: %w", err)
	}
	s := &SecretsEndpoint{name: name, value: string(value), created: time.Now(),
		url: "http://" + listener.Addr().String()}
	s.server = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = s.server.Serve(listener) }() // Serve returns when Stop closes it
	return s, nil
}

// URL returns the endpoint to give AWS clients.
func (s *SecretsEndpoint) URL() string { return s.url }

// Stop closes the listener and every connection.
func (s *SecretsEndpoint) Stop() { _ = s.server.Close() }

// ServeHTTP serves POST / with X-Amz-Target secretsmanager.GetSecretValue.
// Other operations get InvalidRequestException and other secret IDs get
// ResourceNotFoundException, as Secrets Manager sends them.
func (s *SecretsEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != OpGetSecretValue {
		writeAWSError(w, "InvalidRequestException", "the benchmark endpoint serves only "+OpGetSecretValue)
		return
	}
	var input struct {
		SecretID string `json:"SecretId"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&input); err != nil {
		writeAWSError(w, "InvalidRequestException", "the request body is not a JSON object")
		return
	}
	if input.SecretID != s.name {
		writeAWSError(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN":           "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + s.name + "-AbCdEf",
		"Name":          s.name,
		"SecretString":  s.value,
		"VersionId":     "00000000-0000-4000-8000-000000000001",
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   float64(s.created.Unix()),
	})
}

// writeAWSError sends a 400 with an AWS JSON protocol error body.
func writeAWSError(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}
