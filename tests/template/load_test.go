// Package template_test checks template.yaml, the Makefile and the sample
// events in events/ against what the Lambda function expects.
package template_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// repoRoot returns the repository root. go test runs in the package folder,
// which is tests/template.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatalf("resolve repository root: %v", err)
	}
	return root
}

// loadTemplate parses template.yaml into maps, slices and scalars. Short
// tags become their long forms, so `!Ref X` reads as {"Ref": "X"} and
// `!GetAtt A.Arn` as {"Fn::GetAtt": ["A", "Arn"]}.
func loadTemplate(t *testing.T) map[string]any {
	t.Helper()
	path := filepath.Join(repoRoot(t), "template.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read template: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	value, err := cfnValue(&doc)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	tmpl, ok := value.(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is %T, want a mapping", path, value)
	}
	return tmpl
}

// cfnValue converts a YAML node into plain Go values and expands
// CloudFormation short tags such as !Ref, !GetAtt, !Sub and !If.
func cfnValue(node *yaml.Node) (any, error) {
	if isShortTag(node.Tag) {
		return intrinsic(node)
	}
	switch node.Kind {
	case yaml.DocumentNode:
		if len(node.Content) != 1 {
			return nil, fmt.Errorf("line %d: document has %d nodes, want 1", node.Line, len(node.Content))
		}
		return cfnValue(node.Content[0])
	case yaml.AliasNode:
		return cfnValue(node.Alias)
	case yaml.MappingNode:
		return cfnMapping(node)
	case yaml.SequenceNode:
		items := make([]any, 0, len(node.Content))
		for _, child := range node.Content {
			item, err := cfnValue(child)
			if err != nil {
				return nil, err
			}
			items = append(items, item)
		}
		return items, nil
	case yaml.ScalarNode:
		var v any
		if err := node.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", node.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", node.Line, node.Kind)
}

func cfnMapping(node *yaml.Node) (map[string]any, error) {
	m := make(map[string]any, len(node.Content)/2)
	for i := 0; i+1 < len(node.Content); i += 2 {
		key := node.Content[i].Value
		value, err := cfnValue(node.Content[i+1])
		if err != nil {
			return nil, err
		}
		m[key] = value
	}
	return m, nil
}

// isShortTag reports whether tag is a local tag such as !Ref, as opposed to
// a YAML core tag such as !!str.
func isShortTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

// intrinsic expands one short-tagged node into its long form.
func intrinsic(node *yaml.Node) (any, error) {
	name := strings.TrimPrefix(node.Tag, "!")
	untagged := *node
	untagged.Tag = ""
	value, err := cfnValue(&untagged)
	if err != nil {
		return nil, err
	}
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: value}, nil
	case "GetAtt":
		// The short form is a single "Resource.Attribute" string.
		if s, ok := value.(string); ok {
			resource, attribute, _ := strings.Cut(s, ".")
			value = []any{resource, attribute}
		}
	}
	return map[string]any{"Fn::" + name: value}, nil
}

// lookup follows keys through nested maps and fails the test when one is
// missing.
func lookup(t *testing.T, value any, keys ...string) any {
	t.Helper()
	for i, key := range keys {
		m, ok := value.(map[string]any)
		if !ok {
			t.Fatalf("%s: is %T, want a mapping", strings.Join(keys[:i], "."), value)
		}
		value, ok = m[key]
		if !ok {
			t.Fatalf("%s: missing", strings.Join(keys[:i+1], "."))
		}
	}
	return value
}

// resource returns the properties of a resource and checks its type.
func resource(t *testing.T, tmpl map[string]any, logicalID, wantType string) map[string]any {
	t.Helper()
	res, ok := lookup(t, tmpl, "Resources", logicalID).(map[string]any)
	if !ok {
		t.Fatalf("Resources.%s: is not a mapping", logicalID)
	}
	if res["Type"] != wantType {
		t.Fatalf("Resources.%s.Type = %v, want %s", logicalID, res["Type"], wantType)
	}
	props, ok := res["Properties"].(map[string]any)
	if !ok {
		t.Fatalf("Resources.%s.Properties: missing or not a mapping", logicalID)
	}
	return props
}

// refTo returns the logical ID or parameter that value names through Ref
// or Fn::GetAtt, or "" when value is neither.
func refTo(value any) string {
	m, ok := value.(map[string]any)
	if !ok || len(m) != 1 {
		return ""
	}
	if name, ok := m["Ref"].(string); ok {
		return name
	}
	if parts, ok := m["Fn::GetAtt"].([]any); ok && len(parts) == 2 {
		name, _ := parts[0].(string)
		return name
	}
	return ""
}

// stringList returns value as a list of strings. A single string becomes a
// list of one.
func stringList(value any) ([]string, bool) {
	switch v := value.(type) {
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}
