package localstack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ExampleFiles maps each notification variable that the demo and the
// end-to-end test set to its example in examples/, relative to the
// repository root. The golden files in internal/notify/testdata were made
// with the same rules and DefaultRecipients.
var ExampleFiles = map[string]string{
	"OFS_ROUTES":      "examples/routes.json",
	"OFS_ATTACHMENTS": "examples/attachments.json",
}

// ExampleNotifyEnv returns OFS_ROUTES and OFS_ATTACHMENTS with the
// contents of their example files under root, for StackConfig.Env.
func ExampleNotifyEnv(root string) (map[string]string, error) {
	env := map[string]string{}
	for name, rel := range ExampleFiles {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			return nil, fmt.Errorf("localstack: reading the example %s failed: %w", name, err)
		}
		env[name] = strings.TrimSpace(string(data))
	}
	return env, nil
}
