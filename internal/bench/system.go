package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// BuildLambda builds the main package pkg (such as ./functions/startchat)
// of the module at root into out, for linux and goarch, with the flags of
// the Makefile's build-StartChatFunction target, and returns the file's
// size in bytes.
func BuildLambda(ctx context.Context, root, pkg, out, goarch string) (int64, error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath",
		"-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if output, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("bench: building %s for linux/%s failed: %w\n%s", pkg, goarch, err, output)
	}
	info, err := os.Stat(out)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	return info.Size(), nil
}

// ProcessesOf returns the IDs of the running processes whose executable is
// path, read from /proc.
func ProcessesOf(path string) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("bench: reading /proc failed: %w", err)
	}
	var pids []int
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", entry.Name(), "exe"))
		if err == nil && exe == path {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// PeakRSS returns the peak resident set size of process pid (VmHWM in
// /proc/PID/status), in bytes.
func PeakRSS(pid int) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		fields := strings.Fields(line)
		if len(fields) == 3 && fields[0] == "VmHWM:" && fields[2] == "kB" {
			kib, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				break
			}
			return kib << 10, nil
		}
	}
	return 0, fmt.Errorf("bench: /proc/%d/status has no VmHWM line in kB", pid)
}

// Machine describes the computer and toolchain of a run.
type Machine struct {
	CPUs      int    // logical CPUs usable by this process
	CPUModel  string // "model name" in /proc/cpuinfo, or unknown
	MemoryGiB float64
	GoVersion string // the toolchain that built this program
	Platform  string // GOOS/GOARCH
	Date      time.Time
}

// DescribeMachine reads the machine's description.
func DescribeMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), CPUModel: "unknown", GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Date: time.Now().UTC()}
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = procField(info, "model name")
	}
	if info, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kib, err := strconv.ParseFloat(strings.TrimSuffix(procField(info, "MemTotal"), " kB"), 64); err == nil {
			m.MemoryGiB = kib / (1 << 20)
		}
	}
	return m
}

// procField returns the value of the first "name : value" line of a /proc
// file, or "unknown".
func procField(data []byte, name string) string {
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		key, value, ok := strings.Cut(scanner.Text(), ":")
		if ok && strings.TrimSpace(key) == name {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}
