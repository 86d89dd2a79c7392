package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// run starts the local stack, invokes every *.json file in eventsDir (empty
// means the repository's events/) and prints one outcome per file and a
// summary to out. It stops what it started before it returns, also when
// ctx is cancelled.
func run(ctx context.Context, out io.Writer, eventsDir string) error {
	root, err := localstack.RepoRoot()
	if err != nil {
		return err
	}
	if eventsDir == "" {
		eventsDir = filepath.Join(root, "events")
	}
	events, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil || len(events) == 0 {
		return fmt.Errorf("no event files (*.json) in %s", eventsDir)
	}
	sort.Strings(events)
	riePath, err := localstack.FindRIE(root)
	if err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "ofs-startchat-demo-")
	if err != nil {
		return fmt.Errorf("creating a temporary folder failed: %w", err)
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(out, "Building the bootstrap for linux/%s ...\n", runtime.GOARCH)
	began := time.Now()
	bootstrap, err := localstack.BuildBootstrap(ctx, root, tmp)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Built %s in %.1fs\n", bootstrap, time.Since(began).Seconds())

	notifyEnv, err := localstack.ExampleNotifyEnv(root)
	if err != nil {
		return err
	}
	stack, err := localstack.StartStack(ctx,
		localstack.StackConfig{Bootstrap: bootstrap, RIEPath: riePath, Env: notifyEnv})
	if err != nil {
		return err
	}
	defer stack.Stop()
	printStack(out, stack)

	report := newReport(out, events)
	for _, path := range events {
		if err := invokeFile(ctx, stack, report, path); err != nil {
			return err
		}
	}
	if err := showUnsignedRejected(ctx, out, stack, eventsDir); err != nil {
		return err
	}
	if err := showDuplicateAnswered(ctx, out, stack, eventsDir); err != nil {
		return err
	}
	return report.finish(stack.OFS.Emulator.TokenRequests(),
		stack.Moto.Calls("secretsmanager.GetSecretValue"))
}

// printStack names the parts that the demo started.
func printStack(out io.Writer, stack *localstack.Stack) {
	fmt.Fprintf(out, "Secrets Manager (moto)   %s  secret %q for user %s\n",
		stack.Moto.URL(), stack.SecretID, stack.Identity.User)
	users := append([]string{stack.Identity.User}, localstack.Technicians()...)
	fmt.Fprintf(out, "OFS emulator             %s  instance %s, client %s, users %s\n",
		stack.OFS.URL(), localstack.DefaultInstance, localstack.DefaultClientID,
		strings.Join(users, ", "))
	fmt.Fprintf(out, "Function (RIE)           OFS_DEFAULT_RECIPIENTS=%s\n", localstack.DefaultRecipients)
	names := make([]string, 0, len(localstack.ExampleFiles))
	for name := range localstack.ExampleFiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(out, "                         %s from %s\n", name, localstack.ExampleFiles[name])
	}
	fmt.Fprintln(out)
}

// invokeFile sends one event file to the function and reports what the
// function returned and which chats the emulator started meanwhile.
// Only a failure to read the file or to reach RIE is returned.
func invokeFile(ctx context.Context, stack *localstack.Stack, report *report, path string) error {
	payload, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s failed: %w", path, err)
	}
	chatsBefore := len(stack.OFS.Emulator.Chats())
	logBefore := len(stack.RIE.Output())
	began := time.Now()
	status, body, err := stack.Invoke(ctx, payload)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	result := judge(payload, status, body, stack.OFS.Emulator.Chats()[chatsBefore:])
	result.file = filepath.Base(path)
	result.trigger = triggerName(payload)
	result.duration = time.Since(began)
	output := awaitInvokeEnd(stack.RIE, logBefore)
	if !result.ok {
		result.log = functionLog(output, result.problem)
	}
	report.add(result)
	return nil
}

// awaitInvokeEnd returns the output printed since offset once RIE has
// printed the invoke's END line. The output arrives through a pipe after
// the response, so without the wait one event's log lines could be
// reported under the next event. It waits at most a second.
func awaitInvokeEnd(rie *localstack.RIE, offset int) []byte {
	deadline := time.Now().Add(time.Second)
	for {
		output := rie.Output()[offset:]
		if bytes.Contains(output, []byte("END RequestId:")) || time.Now().After(deadline) {
			return output
		}
		time.Sleep(10 * time.Millisecond)
	}
}
