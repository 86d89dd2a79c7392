package template_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const functionID = "StartChatFunction"

// envVars lists every environment variable that the function reads. Keep it
// in step with the code, because Lambda leaves an undeclared variable unset
// and the mistake shows only at run time.
var envVars = []string{
	"OFS_SECRET_ID",
	"OFS_BASE_URL",
	"OFS_DEFAULT_RECIPIENTS",
	"OFS_SECRET_CACHE_TTL",
	"OFS_WEBHOOK_AUTH",
	"OFS_IDEMPOTENCY_TABLE",
	"OFS_IDEMPOTENCY_TTL",
	"LOG_LEVEL",
	"OFS_METRICS_NAMESPACE",
	"OFS_METRICS_DIMENSIONS",
	"OFS_ROUTES",
	"OFS_ATTACHMENTS",
	"OFS_TEMPLATES_FILE",
}

// reservedEnvVars are names that Lambda sets itself. It rejects a function
// configuration that sets any of them.
var reservedEnvVars = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "TZ",
	"AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
	"AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
	"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

// goarchFor maps Lambda architectures to Go's GOARCH names.
var goarchFor = map[string]string{"arm64": "arm64", "x86_64": "amd64"}

func function(t *testing.T, tmpl map[string]any) map[string]any {
	t.Helper()
	return resource(t, tmpl, functionID, "AWS::Serverless::Function")
}

// functionEvent returns the properties of one event of the function and
// checks its type.
func functionEvent(t *testing.T, tmpl map[string]any, name, wantType string) map[string]any {
	t.Helper()
	event, ok := lookup(t, function(t, tmpl), "Events", name).(map[string]any)
	if !ok {
		t.Fatalf("Events.%s: is not a mapping", name)
	}
	if event["Type"] != wantType {
		t.Fatalf("Events.%s.Type = %v, want %s", name, event["Type"], wantType)
	}
	props, ok := event["Properties"].(map[string]any)
	if !ok {
		t.Fatalf("Events.%s.Properties: missing or not a mapping", name)
	}
	return props
}

func TestFunctionHandler(t *testing.T) {
	fn := function(t, loadTemplate(t))
	if got := fn["Handler"]; got != "bootstrap" {
		t.Errorf("Handler = %v, want bootstrap", got)
	}
}

func TestFunctionRuntime(t *testing.T) {
	fn := function(t, loadTemplate(t))
	if got := fn["Runtime"]; got != "provided.al2023" {
		t.Errorf("Runtime = %v, want provided.al2023", got)
	}
}

func TestFunctionArchitecture(t *testing.T) {
	fn := function(t, loadTemplate(t))
	archs, ok := stringList(fn["Architectures"])
	if !ok || !slices.Equal(archs, []string{"arm64"}) {
		t.Errorf("Architectures = %v, want [arm64]", fn["Architectures"])
	}
}

func TestFunctionBuildMethod(t *testing.T) {
	tmpl := loadTemplate(t)
	got := lookup(t, tmpl, "Resources", functionID, "Metadata", "BuildMethod")
	if got != "makefile" {
		t.Errorf("Metadata.BuildMethod = %v, want makefile", got)
	}
	// The Makefile sits at the repository root, so SAM must run make there.
	if got := function(t, tmpl)["CodeUri"]; got != "." {
		t.Errorf("CodeUri = %v, want .", got)
	}
}

func TestMakefileGOARCH(t *testing.T) {
	fn := function(t, loadTemplate(t))
	archs, ok := stringList(fn["Architectures"])
	if !ok || len(archs) != 1 {
		t.Fatalf("Architectures = %v, want exactly one", fn["Architectures"])
	}
	want, ok := goarchFor[archs[0]]
	if !ok {
		t.Fatalf("Architectures = %v, want arm64 or x86_64", archs)
	}
	if got := makefileGOARCH(t, "build-"+functionID); got != want {
		t.Errorf("Makefile build-%s sets GOARCH=%s, want %s to match Architectures %v",
			functionID, got, want, archs)
	}
}

// makefileGOARCH returns the literal GOARCH value set in the rule line or
// recipe of target.
func makefileGOARCH(t *testing.T, target string) string {
	t.Helper()
	path := filepath.Join(repoRoot(t), "Makefile")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s not found: `sam build` runs `make %s` in the repository root "+
			"(Metadata.BuildMethod makefile), so the Makefile must define that target "+
			"and build with GOARCH set", path, target)
	}
	if err != nil {
		t.Fatalf("read Makefile: %v", err)
	}
	lines := targetLines(string(data), target)
	if lines == nil {
		t.Fatalf("%s has no %s target; `sam build` runs `make %s`", path, target, target)
	}
	goarch := regexp.MustCompile(`\bGOARCH\s*[:?]?=\s*([^\s;\\]+)`)
	for _, line := range lines {
		if m := goarch.FindStringSubmatch(line); m != nil {
			if strings.Contains(m[1], "$") {
				t.Fatalf("%s: %s sets GOARCH=%s; write the value literally so that it can be checked",
					path, target, m[1])
			}
			return m[1]
		}
	}
	t.Fatalf("%s: target %s does not set GOARCH; cross-compile with GOARCH=... for the Lambda architecture",
		path, target)
	return ""
}

// targetLines returns the rule line and recipe of target in a Makefile,
// with backslash continuations joined, or nil when the target is absent.
func targetLines(makefile, target string) []string {
	joined := strings.ReplaceAll(makefile, "\\\n", " ")
	rule := regexp.MustCompile(`^` + regexp.QuoteMeta(target) + `\s*::?`)
	var out []string
	inTarget := false
	for _, line := range strings.Split(joined, "\n") {
		switch {
		case rule.MatchString(line):
			inTarget = true
			out = append(out, line)
		case inTarget && strings.HasPrefix(line, "\t"):
			out = append(out, line)
		case inTarget && strings.TrimSpace(line) == "":
			// A blank line does not end a recipe.
		default:
			inTarget = false
		}
	}
	return out
}

func TestSQSEventBatchItemFailures(t *testing.T) {
	sqs := functionEvent(t, loadTemplate(t), "SQS", "SQS")
	types, ok := stringList(sqs["FunctionResponseTypes"])
	if !ok || !slices.Contains(types, "ReportBatchItemFailures") {
		t.Errorf("Events.SQS.FunctionResponseTypes = %v, want ReportBatchItemFailures", sqs["FunctionResponseTypes"])
	}
}

// sqsQueue returns the properties of the queue that the SQS event reads.
func sqsQueue(t *testing.T, tmpl map[string]any) map[string]any {
	t.Helper()
	sqs := functionEvent(t, tmpl, "SQS", "SQS")
	queueID := refTo(sqs["Queue"])
	if queueID == "" {
		t.Fatalf("Events.SQS.Queue = %v, want a GetAtt of a queue in this template", sqs["Queue"])
	}
	return resource(t, tmpl, queueID, "AWS::SQS::Queue")
}

func TestQueueRedrivePolicy(t *testing.T) {
	tmpl := loadTemplate(t)
	queue := sqsQueue(t, tmpl)
	redrive, ok := queue["RedrivePolicy"].(map[string]any)
	if !ok {
		t.Fatalf("queue RedrivePolicy = %v, want a mapping", queue["RedrivePolicy"])
	}
	dlq := refTo(redrive["deadLetterTargetArn"])
	if dlq == "" {
		t.Errorf("RedrivePolicy.deadLetterTargetArn = %v, want a GetAtt of a queue", redrive["deadLetterTargetArn"])
	} else {
		resource(t, tmpl, dlq, "AWS::SQS::Queue")
	}
	if n, ok := redrive["maxReceiveCount"].(int); !ok || n < 1 {
		t.Errorf("RedrivePolicy.maxReceiveCount = %v, want a positive integer", redrive["maxReceiveCount"])
	}
}

func TestQueueVisibilityTimeout(t *testing.T) {
	tmpl := loadTemplate(t)
	timeout, ok := function(t, tmpl)["Timeout"].(int)
	if !ok {
		t.Fatalf("function Timeout = %v, want an integer", function(t, tmpl)["Timeout"])
	}
	queue := sqsQueue(t, tmpl)
	visibility, ok := queue["VisibilityTimeout"].(int)
	if !ok {
		t.Fatalf("queue VisibilityTimeout = %v, want an integer", queue["VisibilityTimeout"])
	}
	// The Lambda developer guide recommends at least six times the timeout.
	if visibility < 6*timeout {
		t.Errorf("queue VisibilityTimeout = %d, want at least 6 × Timeout = %d", visibility, 6*timeout)
	}
}

func TestEnvironmentVariables(t *testing.T) {
	fn := function(t, loadTemplate(t))
	vars, ok := lookup(t, fn, "Environment", "Variables").(map[string]any)
	if !ok {
		t.Fatalf("Environment.Variables is not a mapping")
	}
	for _, name := range envVars {
		if _, ok := vars[name]; !ok {
			t.Errorf("Environment.Variables: %s is missing", name)
		}
	}
	for name := range vars {
		if !slices.Contains(envVars, name) {
			t.Errorf("Environment.Variables: %s is not read by the code; add it to envVars or remove it", name)
		}
		if slices.Contains(reservedEnvVars, name) {
			t.Errorf("Environment.Variables: %s is reserved by Lambda", name)
		}
	}
	if got := refTo(vars["OFS_SECRET_ID"]); got != "OfsSecretArn" {
		t.Errorf("OFS_SECRET_ID = %v, want !Ref OfsSecretArn", vars["OFS_SECRET_ID"])
	}
}

// policyStatements collects every IAM statement under value, including
// statements inside Fn::If branches.
func policyStatements(value any) []map[string]any {
	var out []map[string]any
	switch v := value.(type) {
	case map[string]any:
		if stmts, ok := v["Statement"]; ok {
			switch s := stmts.(type) {
			case map[string]any:
				out = append(out, s)
			case []any:
				for _, item := range s {
					if m, ok := item.(map[string]any); ok {
						out = append(out, m)
					}
				}
			}
		}
		for key, child := range v {
			if key != "Statement" {
				out = append(out, policyStatements(child)...)
			}
		}
	case []any:
		for _, child := range v {
			out = append(out, policyStatements(child)...)
		}
	}
	return out
}

func TestSecretAccess(t *testing.T) {
	fn := function(t, loadTemplate(t))
	grants := 0
	for _, stmt := range policyStatements(fn["Policies"]) {
		actions, _ := stringList(stmt["Action"])
		if !slices.ContainsFunc(actions, func(a string) bool {
			return strings.HasPrefix(strings.ToLower(a), "secretsmanager:")
		}) {
			continue
		}
		if got := refTo(stmt["Resource"]); got != "OfsSecretArn" {
			t.Errorf("statement %v: Resource = %v, want only !Ref OfsSecretArn", stmt["Sid"], stmt["Resource"])
		}
		if slices.Contains(actions, "secretsmanager:GetSecretValue") {
			grants++
		}
	}
	// The SAM policy template is an alternative to a written statement.
	policies, _ := fn["Policies"].([]any)
	for _, p := range policies {
		m, _ := p.(map[string]any)
		tpl, ok := m["AWSSecretsManagerGetSecretValuePolicy"].(map[string]any)
		if !ok {
			continue
		}
		if got := refTo(tpl["SecretArn"]); got != "OfsSecretArn" {
			t.Errorf("AWSSecretsManagerGetSecretValuePolicy.SecretArn = %v, want !Ref OfsSecretArn", tpl["SecretArn"])
		}
		grants++
	}
	if grants == 0 {
		t.Errorf("Policies: no statement allows secretsmanager:GetSecretValue on OfsSecretArn")
	}
}

func TestNoWildcardActions(t *testing.T) {
	tmpl := loadTemplate(t)
	for _, stmt := range policyStatements(tmpl["Resources"]) {
		if _, ok := stmt["NotAction"]; ok && stmt["Effect"] == "Allow" {
			t.Errorf("statement %v: Allow with NotAction grants everything else", stmt["Sid"])
		}
		actions, ok := stringList(stmt["Action"])
		if !ok {
			t.Errorf("statement %v: Action = %v, want a string or a list of strings", stmt["Sid"], stmt["Action"])
			continue
		}
		for _, action := range actions {
			if strings.Contains(action, "*") {
				t.Errorf("statement %v: wildcard action %q", stmt["Sid"], action)
			}
		}
	}
}

// TestAPINeverAnonymous checks both WebhookAuth modes: hmac, the default,
// where the function checks signatures, and iam, where the OpenAPI body
// makes API Gateway require SigV4.
func TestAPINeverAnonymous(t *testing.T) {
	tmpl := loadTemplate(t)
	param := lookup(t, tmpl, "Parameters", "WebhookAuth").(map[string]any)
	if param["Default"] != "hmac" {
		t.Errorf("Parameters.WebhookAuth.Default = %v, want hmac", param["Default"])
	}
	if values, _ := stringList(param["AllowedValues"]); strings.Join(values, ",") != "hmac,iam" {
		t.Errorf("Parameters.WebhookAuth.AllowedValues = %v, want [hmac iam]", param["AllowedValues"])
	}
	fn := function(t, tmpl)
	if got := refTo(lookup(t, fn, "Environment", "Variables", "OFS_WEBHOOK_AUTH")); got != "WebhookAuth" {
		t.Errorf("OFS_WEBHOOK_AUTH = !Ref %q, want !Ref WebhookAuth", got)
	}
	condition := lookup(t, tmpl, "Conditions", "UseIamAuth")
	if got := fmt.Sprint(condition); got != "map[Fn::Equals:[map[Ref:WebhookAuth] iam]]" {
		t.Errorf("Conditions.UseIamAuth = %s, want !Equals [!Ref WebhookAuth, iam]", got)
	}

	api := functionEvent(t, tmpl, "Api", "Api")
	if got, _ := api["Method"].(string); !strings.EqualFold(got, "post") || api["Path"] != "/chats" {
		t.Errorf("Events.Api = %v %v, want POST /chats", api["Method"], api["Path"])
	}
	apiID := refTo(api["RestApiId"])
	restAPI := resource(t, tmpl, apiID, "AWS::Serverless::Api")
	if _, ok := restAPI["Auth"]; ok {
		t.Errorf("%s has Auth; SAM drops an Fn::If there silently, so the body carries the choice", apiID)
	}
	body := lookup(t, restAPI, "DefinitionBody")
	security := fmt.Sprint(lookup(t, body, "paths", "/chats", "post", "security"))
	if security != "map[Fn::If:[UseIamAuth [map[AWS_IAM:[]]] map[Ref:AWS::NoValue]]]" {
		t.Errorf("POST /chats security = %s, want !If [UseIamAuth, [{AWS_IAM: []}], !Ref AWS::NoValue]", security)
	}
	if got := lookup(t, body, "components", "securitySchemes", "AWS_IAM", "x-amazon-apigateway-authtype"); got != "awsSigv4" {
		t.Errorf("AWS_IAM x-amazon-apigateway-authtype = %v, want awsSigv4", got)
	}
	for name, e := range fn["Events"].(map[string]any) {
		if event, _ := e.(map[string]any); event["Type"] == "HttpApi" {
			t.Errorf("Events.%s: an HTTP API route here would bypass the WebhookAuth choice", name)
		}
	}
	if url, ok := fn["FunctionUrlConfig"].(map[string]any); ok && url["AuthType"] != "AWS_IAM" {
		t.Errorf("FunctionUrlConfig.AuthType = %v, want AWS_IAM", url["AuthType"])
	}
}

func TestOnFailureDestination(t *testing.T) {
	tmpl := loadTemplate(t)
	onFailure := lookup(t, function(t, tmpl), "EventInvokeConfig", "DestinationConfig", "OnFailure")
	dest, ok := onFailure.(map[string]any)
	if !ok {
		t.Fatalf("EventInvokeConfig.DestinationConfig.OnFailure is not a mapping")
	}
	if dest["Type"] != "SQS" {
		t.Errorf("OnFailure.Type = %v, want SQS", dest["Type"])
	}
	queueID := refTo(dest["Destination"])
	if queueID == "" {
		t.Fatalf("OnFailure.Destination = %v, want a GetAtt of a queue in this template", dest["Destination"])
	}
	resource(t, tmpl, queueID, "AWS::SQS::Queue")
}

func TestFunctionEvents(t *testing.T) {
	tmpl := loadTemplate(t)
	tests := []struct {
		name      string
		eventType string
	}{
		{"Api", "Api"},
		{"SNS", "SNS"},
		{"SQS", "SQS"},
		{"EventBridgeRule", "EventBridgeRule"},
		{"AwsNotificationsRule", "EventBridgeRule"},
		{"Schedule", "ScheduleV2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			functionEvent(t, tmpl, tt.name, tt.eventType)
		})
	}
}

func TestEventBridgePattern(t *testing.T) {
	rule := functionEvent(t, loadTemplate(t), "EventBridgeRule", "EventBridgeRule")
	pattern, ok := rule["Pattern"].(map[string]any)
	if !ok {
		t.Fatalf("Events.EventBridgeRule.Pattern = %v, want a mapping", rule["Pattern"])
	}
	if got, _ := stringList(pattern["source"]); !slices.Equal(got, []string{"ofs-startchat"}) {
		t.Errorf("Pattern.source = %v, want [ofs-startchat]", pattern["source"])
	}
	if got, _ := stringList(pattern["detail-type"]); !slices.Equal(got, []string{"Start Chat"}) {
		t.Errorf("Pattern.detail-type = %v, want [Start Chat]", pattern["detail-type"])
	}
}

// The schedule's Input is the chat request the function receives. When it
// is built with Fn::Sub, each ${Name} variable is filled with one login.
func TestScheduleInput(t *testing.T) {
	schedule := functionEvent(t, loadTemplate(t), "Schedule", "ScheduleV2")
	if got := schedule["State"]; got == "ENABLED" {
		t.Errorf("Schedule State = ENABLED, want DISABLED or a parameter")
	}
	var input string
	switch v := schedule["Input"].(type) {
	case string:
		input = v
	case map[string]any:
		sub, ok := v["Fn::Sub"].([]any)
		if !ok || len(sub) != 2 {
			t.Fatalf("Schedule Input = %v, want a JSON string or Fn::Sub [string, variables]", v)
		}
		input, _ = sub[0].(string)
		vars, _ := sub[1].(map[string]any)
		for name := range vars {
			input = strings.ReplaceAll(input, "${"+name+"}", "tech17")
		}
	default:
		t.Fatalf("Schedule Input = %v, want a JSON string", v)
	}
	if !json.Valid([]byte(input)) {
		t.Fatalf("Schedule Input %q is not valid JSON", input)
	}
	checkChat(t, []byte(input))
}
