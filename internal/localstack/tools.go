package localstack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// ModulePath is the module that RepoRoot looks for.
const ModulePath = "github.com/ofs-startchat/ofs-startchat"

// ErrToolNotFound is wrapped by the errors for a missing moto_server or
// aws-lambda-rie. `make tools` installs RIE and checks for moto_server.
var ErrToolNotFound = errors.New("not found")

// rieRelPath is the install path of the pinned RIE that `make tools` uses,
// relative to the repository root.
const rieRelPath = ".tools/bin/aws-lambda-rie"

// RepoRoot returns the repository root: the nearest folder at or above the
// working directory whose go.mod declares ModulePath. Tests run in their
// package folder, so this works from any package of the module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("localstack: reading the working directory failed: %w", err)
	}
	for {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("localstack: no go.mod of %s at or above the working "+
				"directory; run from inside the repository", ModulePath)
		}
		dir = parent
	}
}

// declaresModule reports whether the go.mod at path declares ModulePath.
func declaresModule(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == ModulePath
		}
	}
	return false
}

// BuildBootstrap builds ./functions/startchat of the repository at root into
// outDir/bootstrap and returns its path. It uses the flags of the Makefile's
// build-StartChatFunction target but the host's GOARCH, because RIE runs the
// bootstrap natively.
func BuildBootstrap(ctx context.Context, root, outDir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("localstack: the go command is not on PATH: %w", err)
	}
	out := filepath.Join(outDir, "bootstrap")
	cmd := exec.CommandContext(ctx, goTool, "build", "-tags", "lambda.norpc", "-trimpath",
		"-ldflags", "-s -w", "-o", out, "./functions/startchat")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("localstack: building the bootstrap failed: %w\n%s", err, output)
	}
	return out, nil
}

// FindRIE returns the path of aws-lambda-rie: the copy that `make tools`
// installs under root, else the first one on PATH. The error wraps
// ErrToolNotFound when there is none.
func FindRIE(root string) (string, error) {
	local := filepath.Join(root, rieRelPath)
	if info, err := os.Stat(local); err == nil && !info.IsDir() {
		return local, nil
	}
	if path, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("localstack: aws-lambda-rie %w at %s or on PATH; run make tools "+
		"to install it", ErrToolNotFound, local)
}

// findMoto returns the path of moto_server on PATH. The error wraps
// ErrToolNotFound when there is none.
func findMoto() (string, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return "", fmt.Errorf("localstack: moto_server %w on PATH; install moto[server] 5.2.1, "+
			"which provides it, then run make tools to check the tools", ErrToolNotFound)
	}
	return path, nil
}
