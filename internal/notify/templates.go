package notify

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/template"
	"time"
)

// The built-in templates. A templates file can redefine each of them.
const (
	TemplateAlarm  = "alarm"              // CloudWatch alarms, from SNS or EventBridge; data *Alarm
	TemplateEC2    = "ec2-instance-state" // EC2 Instance State-change Notification; data *Event
	TemplateHealth = "health"             // AWS Health Event and AWS Health Abuse Event; data *Event
	TemplateEvent  = "event"              // any other EventBridge event; data *Event
)

var builtinTemplates = []string{TemplateAlarm, TemplateEC2, TemplateHealth, TemplateEvent}

//go:embed defaults.tmpl
var defaultsText string

// defaultSet holds the built-in templates. It parses at package init, so a
// broken defaults.tmpl fails every test of this package.
var defaultSet = template.Must(template.New("defaults.tmpl").Funcs(templateFuncs()).Parse(defaultsText))

// templateFuncs returns the functions that templates may call besides
// text/template's own.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"field":   fieldText, // field .Detail "state.value": the value at a dotted path, "" if absent
		"join":    strings.Join,
		"oneLine": oneLine,
		"shorten": shorten,
		"utc":     formatUTC,
	}
}

// formatUTC returns t in UTC as "2006-01-02 15:04:05 UTC", or "" for the
// zero time. It is the template function utc.
func formatUTC(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// Templates is a set of chat text templates: the built-in ones, with any
// that a templates file redefines or adds.
type Templates struct {
	set  *template.Template
	file string // the templates file; empty for the built-in templates
}

// DefaultTemplates returns the built-in templates.
func DefaultTemplates() *Templates {
	return &Templates{set: defaultSet}
}

// ParseTemplates returns the built-in templates with the {{define}} blocks
// of text added, replacing built-in templates of the same name. name labels
// errors, such as the file's path. Text outside {{define}} blocks, a block
// named neither as a built-in template nor "<source>/<detail-type>", a
// syntax error and a field that the template's data type lacks are errors.
func ParseTemplates(name, text string) (*Templates, error) {
	file, err := template.New(name).Funcs(templateFuncs()).Parse(text)
	if err != nil {
		return nil, err
	}
	if file.Tree != nil && strings.TrimSpace(file.Tree.Root.String()) != "" {
		return nil, fmt.Errorf("%s has text outside {{define}} blocks; put each template in "+
			`{{define "name"}}...{{end}}`, name)
	}
	set, err := defaultSet.Clone()
	if err != nil {
		return nil, err
	}
	for _, def := range file.Templates() {
		if def.Name() == name {
			continue
		}
		if !slices.Contains(builtinTemplates, def.Name()) && !strings.Contains(def.Name(), "/") {
			return nil, fmt.Errorf("%s defines %q, which is not a template name; use one of %s, "+
				`or "<source>/<detail-type>" such as "aws.rds/RDS DB Instance Event"`,
				name, def.Name(), strings.Join(builtinTemplates, ", "))
		}
		if _, err := set.AddParseTree(def.Name(), def.Tree); err != nil {
			return nil, err
		}
		if err := checkFields(set, def.Name()); err != nil {
			return nil, err
		}
	}
	return &Templates{set: set, file: name}, nil
}

// checkFields executes a template on empty data to catch a field that its
// data type lacks, such as {{.Nmae}}, at cold start. Other execution errors
// depend on the event, such as {{.Detail.state.value}} on a detail without
// state, so they are left to render.
func checkFields(set *template.Template, name string) error {
	var data any = &Event{Detail: map[string]any{}}
	if name == TemplateAlarm {
		data = &Alarm{}
	}
	err := set.ExecuteTemplate(io.Discard, name, data)
	// NOTE: text/template has no error type for this case, so the check
	// matches the message that it has used since Go 1.0.
	if err != nil && strings.Contains(err.Error(), "can't evaluate field") {
		return err
	}
	return nil
}

// render executes the first of names that the set defines. When that
// template fails or renders no text, render uses the built-in template of
// the first built-in name in names instead, and returns the failure as
// fallback so the caller can log it. used is the template that rendered.
func (t *Templates) render(names []string, data any) (text, used string, fallback, err error) {
	for _, name := range names {
		if t.set.Lookup(name) == nil {
			continue
		}
		text, err = execute(t.set, name, data)
		if err == nil {
			return text, name, nil, nil
		}
		fallback = &TemplateError{Name: name, Err: err}
		break
	}
	for _, name := range names {
		if defaultSet.Lookup(name) == nil {
			continue
		}
		text, err = execute(defaultSet, name, data)
		if err != nil {
			return "", name, fallback, &TemplateError{Name: name, Err: err}
		}
		return text, name + " (built-in)", fallback, nil
	}
	return "", "", fallback, &TemplateError{Name: strings.Join(names, ", "), Err: errors.New("not defined")}
}

// noValue is the text that text/template prints for an absent map member.
const noValue = "<no value>"

// execute runs one template and tidies its output: line ends become \n,
// trailing white space is cut and blank lines are dropped. Output that
// shows noValue is an error, so that no chat reads "<no value>".
func execute(set *template.Template, name string, data any) (string, error) {
	var out strings.Builder
	if err := set.ExecuteTemplate(&out, name, data); err != nil {
		return "", err
	}
	if strings.Contains(out.String(), noValue) {
		return "", fmt.Errorf("it printed %s for an absent member; print members that may be "+
			"absent with field, or inside {{with}}", noValue)
	}
	var lines []string
	for _, line := range strings.Split(strings.ReplaceAll(out.String(), "\r\n", "\n"), "\n") {
		if line = strings.TrimRight(line, " \t\r"); strings.TrimSpace(line) != "" {
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		return "", errors.New("it rendered no text")
	}
	return strings.Join(lines, "\n"), nil
}
