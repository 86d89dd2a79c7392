package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
)

// faultClass is one way OFS or Secrets Manager can fail, and the HTTP
// status it must produce. The other trigger families follow from it: an SQS
// record is listed in batchItemFailures, and an SNS event ends in a
// function error, exactly when the status is not 201.
type faultClass struct {
	name     string
	arrange  func(t *testing.T, s *stack)
	deadline time.Duration // the invocation's time limit; 0 means none
	want     int
}

func injects(faults ...emulator.Fault) func(*testing.T, *stack) {
	return func(_ *testing.T, s *stack) {
		for _, f := range faults {
			s.emu.Inject(f)
		}
	}
}

func token(f emulator.Fault) emulator.Fault { f.Endpoint = emulator.EndpointToken; return f }
func chat(f emulator.Fault) emulator.Fault  { f.Endpoint = emulator.EndpointChat; return f }

const htmlPage = "<html><body><h1>502 Bad Gateway</h1></body></html>"

var faultClasses = []faultClass{
	{"token 400", injects(token(emulator.Fault{Status: 400})), 0, http.StatusBadGateway},
	{"token 401", injects(token(emulator.Fault{Status: 401})), 0, http.StatusBadGateway},
	{"token 500", injects(token(emulator.Fault{Status: 500})), 0, http.StatusServiceUnavailable},
	{"token 503 once", injects(token(emulator.Fault{Status: 503})), 0, http.StatusCreated},
	{"token 503 HTML", injects(token(emulator.Fault{Status: 503, Body: htmlPage, ContentType: "text/html", Times: 3})),
		0, http.StatusServiceUnavailable},
	{"token timeout", injects(token(emulator.Fault{Delay: 5 * time.Second})), time.Second, http.StatusServiceUnavailable},
	{"token malformed JSON", injects(token(emulator.Fault{Status: 200, Body: `{"access_token":`, Times: 3})),
		0, http.StatusServiceUnavailable},
	{"token expires_in odd", injects(token(emulator.Fault{Status: 200,
		Body: `{"access_token":"not-issued","token_type":"Bearer","expires_in":"soon"}`})), 0, http.StatusCreated},
	{"token expires_in missing", injects(token(emulator.Fault{Status: 200,
		Body: `{"access_token":"not-issued","token_type":"bearer"}`})), 0, http.StatusCreated},
	{"chat 400", injects(chat(emulator.Fault{Status: 400})), 0, http.StatusBadGateway},
	{"chat 401 once", injects(chat(emulator.Fault{Status: 401})), 0, http.StatusCreated},
	{"chat 401 twice", injects(chat(emulator.Fault{Status: 401, Times: 2})), 0, http.StatusBadGateway},
	{"chat 403", injects(chat(emulator.Fault{Status: 403})), 0, http.StatusBadGateway},
	{"chat 404", injects(chat(emulator.Fault{Status: 404})), 0, http.StatusBadGateway},
	{"chat 429 once", injects(chat(emulator.Fault{Status: 429})), 0, http.StatusCreated},
	{"chat 429 long Retry-After", injects(chat(emulator.Fault{Status: 429, RetryAfter: "120"})),
		0, http.StatusServiceUnavailable},
	{"chat 500", injects(chat(emulator.Fault{Status: 500})), 0, http.StatusServiceUnavailable},
	{"chat 502 HTML", injects(chat(emulator.Fault{Status: 502, Body: htmlPage, ContentType: "text/html"})),
		0, http.StatusServiceUnavailable},
	{"chat 503", injects(chat(emulator.Fault{Status: 503})), 0, http.StatusServiceUnavailable},
	{"chat timeout", injects(chat(emulator.Fault{Delay: 5 * time.Second})), time.Second, http.StatusServiceUnavailable},
	{"secret throttled twice", failSecrets("ThrottlingException", 2), 0, http.StatusCreated},
	{"secret throttled", failSecrets("ThrottlingException", -1), 0, http.StatusServiceUnavailable},
	{"secret not found", failSecrets("ResourceNotFoundException", -1), 0, http.StatusInternalServerError},
	{"secret access denied", failSecrets("AccessDeniedException", -1), 0, http.StatusInternalServerError},
	{"secret binary", replaceSecret(func(s *stack, t *testing.T) *secretsmanager.CreateSecretInput {
		return &secretsmanager.CreateSecretInput{SecretBinary: s.secretJSON(t)}
	}), 0, http.StatusCreated},
	{"secret not JSON", replaceSecret(func(*stack, *testing.T) *secretsmanager.CreateSecretInput {
		return &secretsmanager.CreateSecretInput{SecretString: aws.String("instance=acme.test")}
	}), 0, http.StatusInternalServerError},
}

// failSecrets sends the handler's secret reads through a FaultySecrets
// endpoint that fails n of them (n < 0: all) with code.
func failSecrets(code string, n int) func(*testing.T, *stack) {
	return func(t *testing.T, s *stack) {
		faulty, err := localstack.StartFaultySecrets(motoServer.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(faulty.Stop)
		faulty.FailNext(code, n)
		s.handler.secrets = awssecret.New(localstack.SecretsClient(faulty.URL()), s.secretID, time.Minute, nil)
	}
}

// replaceSecret points the handler at a new secret with the given value.
func replaceSecret(value func(*stack, *testing.T) *secretsmanager.CreateSecretInput) func(*testing.T, *stack) {
	return func(t *testing.T, s *stack) {
		s.secretID += "-replaced"
		s.putSecret(t, value(s, t))
		s.handler.secrets = awssecret.New(s.secrets, s.secretID, time.Minute, nil)
	}
}

// TestFaultMatrix runs every fault class through each trigger family:
// HTTP (the status and, for 503, Retry-After), SQS (the record listed or
// not) and SNS (a function error or not). Each cell also scans the logs
// and results for secrets.
func TestFaultMatrix(t *testing.T) {
	families := []string{"http", "sqs", "sns"}
	for _, class := range faultClasses {
		for _, family := range families {
			t.Run(class.name+"/"+family, func(t *testing.T) {
				t.Parallel()
				s := newStack(t)
				s.deadline = class.deadline
				class.arrange(t, s)
				started := class.want == http.StatusCreated
				var seen []string
				switch family {
				case "http":
					status, headers, body := s.invokeHTTP(t, "v1", `{"text":"matrix"}`, false)
					seen = append(seen, body)
					if status != class.want {
						t.Errorf("status = %d, want %d (body %s)", status, class.want, body)
					}
					if status == http.StatusServiceUnavailable && headers["Retry-After"] == "" {
						t.Error("503 without Retry-After")
					}
				case "sqs":
					var response events.SQSEventResponse
					if err := s.invoke(t, sqsEvent(`{"text":"matrix"}`), &response); err != nil {
						t.Fatalf("Invoke: %v", err)
					}
					if listed := len(response.BatchItemFailures) == 1; listed == started {
						t.Errorf("batchItemFailures = %v, want the record listed: %v", response.BatchItemFailures, !started)
					}
				case "sns":
					event := `{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m1","Message":"{\"text\":\"matrix\"}"}}]}`
					err := s.invoke(t, event, &json.RawMessage{})
					if (err == nil) != started {
						t.Errorf("Invoke error = %v, want a function error: %v", err, !started)
					}
					if err != nil {
						seen = append(seen, err.Error())
					}
				}
				assertNoSecrets(t, s, seen...)
			})
		}
	}
	if cells := len(faultClasses) * len(families); cells < 25 {
		t.Errorf("the matrix has %d cells, want at least 25", cells)
	}
}

// assertNoSecrets fails when the stack's logs or any of texts contains the
// private key, the client or webhook secret, an access token the emulator
// issued or an assertion the client sent.
func assertNoSecrets(t *testing.T, s *stack, texts ...string) {
	t.Helper()
	haystack := s.logs.String() + "\n" + strings.Join(texts, "\n")
	needles := map[string]string{"client secret": "s3cr3t-client", "webhook secret": testWebhookSecret}
	for i, line := range strings.Split(string(s.identity.PrivateKeyPEM), "\n") {
		if len(line) > 16 && !strings.HasPrefix(line, "-----") {
			needles["private key line "+string(rune('A'+i%26))] = line
		}
	}
	for _, req := range s.emu.Requests() {
		if token, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
			needles["access token"] = token
		}
		if req.Assertion != nil {
			needles["assertion"] = req.Assertion.Raw
		}
	}
	for name, needle := range needles {
		if needle != "" && strings.Contains(haystack, needle) {
			t.Errorf("the %s appears in the logs or results", name)
		}
	}
}
