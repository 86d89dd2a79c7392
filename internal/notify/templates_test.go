package notify

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const ec2Detail = `{"instance-id":"i-0abc","state":"stopped"}`

func TestExampleTemplatesOverride(t *testing.T) {
	templates, err := ParseTemplates("chat-templates.tmpl",
		readFile(t, filepath.Join("..", "..", "examples", "chat-templates.tmpl")))
	if err != nil {
		t.Fatalf("ParseTemplates(examples/chat-templates.tmpl): %v", err)
	}
	n := New(Config{Templates: templates, DefaultRecipients: []string{"tech17"}})

	result, err := event("aws.ec2", "EC2 Instance State-change Notification", ec2Detail)(n)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Server i-0abc is now stopped (us-east-1)"; result.Request.Text != want {
		t.Errorf("redefined ec2-instance-state text = %q, want %q", result.Request.Text, want)
	}

	result, err = event("acme.dispatch", "Activity Overdue",
		`{"activityId":"4225274","customer":"Northside Clinic","minutesLate":45}`)(n)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Activity 4225274 at Northside Clinic is 45 minutes late"; result.Request.Text != want {
		t.Errorf("text = %q, want %q", result.Request.Text, want)
	}
	if result.Template != "acme.dispatch/Activity Overdue" {
		t.Errorf("Template = %q, want the source/detail-type template", result.Template)
	}

	result, err = alarmVia(alarmTopic)(n)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(result.Request.Text, "CloudWatch alarm dispatch-api-5xx is ALARM (was OK)") {
		t.Errorf("alarm text = %q, want the built-in alarm template, which the file keeps", result.Request.Text)
	}
}

func TestParseTemplatesRejects(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"text outside define", "Alarm {{.Name}}", "outside {{define}} blocks"},
		{"unknown name", `{{define "alarms"}}x{{end}}`, `defines "alarms"`},
		{"syntax error", `{{define "alarm"}}{{.Name{{end}}`, "bad.tmpl:1"},
		{"unknown function", `{{define "alarm"}}{{upper .Name}}{{end}}`, `"upper" not defined`},
		{"misspelt alarm field", `{{define "alarm"}}{{.Nmae}}{{end}}`, "can't evaluate field Nmae"},
		{"misspelt event field", `{{define "health"}}{{.Detials}}{{end}}`, "can't evaluate field Detials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTemplates("bad.tmpl", tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseTemplates error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseTemplatesKeepsDefaults(t *testing.T) {
	if _, err := ParseTemplates("x.tmpl", `{{define "event"}}{{.Source}}{{end}}`); err != nil {
		t.Fatal(err)
	}
	text, _, _, err := DefaultTemplates().render([]string{TemplateEvent}, &Event{Source: "aws.rds",
		DetailType: "RDS DB Instance Event"})
	if err != nil || !strings.HasPrefix(text, "RDS DB Instance Event from aws.rds") {
		t.Errorf("built-in event after an override = %q, %v; want the built-in text", text, err)
	}
}

func TestTemplateFailureFallsBack(t *testing.T) {
	tests := []struct{ name, override, wantErr string }{
		{"execution error", `{{define "ec2-instance-state"}}{{index .Resources 5}}{{end}}`, "out of range"},
		// The detail has no member state, so text/template prints <no value>.
		{"absent member", `{{define "ec2-instance-state"}}{{.Detail.state.value}}{{end}}`, "absent member"},
		{"no text", `{{define "ec2-instance-state"}} {{if false}}x{{end}} {{end}}`, "rendered no text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			templates, err := ParseTemplates("t.tmpl", tt.override)
			if err != nil {
				t.Fatalf("ParseTemplates: %v", err)
			}
			n := New(Config{Templates: templates, DefaultRecipients: []string{"tech17"}})
			result, err := event("aws.ec2", "EC2 Instance State-change Notification", `{"instance-id":"i-0abc"}`)(n)
			if err != nil {
				t.Fatalf("Event error = %v, want the built-in template's text", err)
			}
			var templateErr *TemplateError
			if !errors.As(result.Fallback, &templateErr) || !strings.Contains(result.Fallback.Error(), tt.wantErr) {
				t.Errorf("Fallback = %v, want a *TemplateError containing %q", result.Fallback, tt.wantErr)
			}
			if !strings.HasPrefix(result.Request.Text, "EC2 instance i-0abc is") {
				t.Errorf("text = %q, want the built-in ec2-instance-state text", result.Request.Text)
			}
			if result.Template != "ec2-instance-state (built-in)" {
				t.Errorf("Template = %q, want the built-in one named", result.Template)
			}
		})
	}
}

func TestTemplatesFileFromEnv(t *testing.T) {
	root := t.TempDir()
	override := `{{define "event"}}{{.DetailType}}!{{end}}`
	if err := os.WriteFile(filepath.Join(root, "chat.tmpl"), []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvTemplatesFile: "chat.tmpl", envTaskRoot: root}
	n, err := FromEnv(func(k string) string { return env[k] }, []string{"tech17"})
	if err != nil {
		t.Fatalf("FromEnv with a path relative to %s: %v", envTaskRoot, err)
	}
	result, err := event("acme.dispatch", "Job Late", `{}`)(n)
	if err != nil || result.Request.Text != "Job Late!" {
		t.Errorf("text = %q, %v; want the file's event template", result.Request.Text, err)
	}
}

func TestTemplatesFileErrorsNameVariable(t *testing.T) {
	root := t.TempDir()
	broken := filepath.Join(root, "broken.tmpl")
	if err := os.WriteFile(broken, []byte(`{{define "alarm"}}{{.Nmae}}{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"missing": filepath.Join(root, "absent.tmpl"), "broken": broken} {
		env := map[string]string{EnvTemplatesFile: path}
		_, err := FromEnv(func(k string) string { return env[k] }, nil)
		var configErr *ConfigError
		if !errors.As(err, &configErr) || configErr.Variable != EnvTemplatesFile {
			t.Errorf("%s file: error = %v, want a *ConfigError for %s", name, err, EnvTemplatesFile)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s file: error %q does not name the path", name, err)
		}
	}
}

func TestFormatUTC(t *testing.T) {
	if got := formatUTC(parseAlarmTime("2025-12-04T17:20:31.264+0100")); got != "2025-12-04 16:20:31 UTC" {
		t.Errorf("formatUTC = %q, want 2025-12-04 16:20:31 UTC", got)
	}
	if got := formatUTC(parseAlarmTime("yesterday")); got != "" {
		t.Errorf("formatUTC of an unparsable time = %q, want empty", got)
	}
}
