package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ofs-startchat/ofs-startchat/internal/bench"
)

// figure is one row of the results table.
type figure struct {
	ID       string // P1 to P9
	Name     string
	Measured string // the figure as printed, with its inputs
	Goal     string // empty for a figure that is only reported
	// Met reports whether Measured meets Goal. It is ignored without a Goal.
	Met bool
}

// status returns the Goal column's verdict.
func (f figure) status(checkGoals bool) string {
	switch {
	case f.Goal == "":
		return "reported"
	case !checkGoals:
		return "not checked (smoke)"
	case f.Met:
		return "met"
	}
	return "MISSED"
}

// writeTable writes the figures as a Markdown table.
func writeTable(w io.Writer, figures []figure, checkGoals bool) {
	fmt.Fprintln(w, "| # | figure | measured | goal | status |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, f := range figures {
		goal := f.Goal
		if goal == "" {
			goal = "report"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", f.ID, f.Name, f.Measured, goal, f.status(checkGoals))
	}
}

// missed returns the IDs of the figures that missed their goal.
func missed(figures []figure) []string {
	var ids []string
	for _, f := range figures {
		if f.Goal != "" && !f.Met {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

// Markers around the part of the report file that each run replaces. The
// text outside them is written by hand and kept.
const (
	beginMarker = "<!-- make bench: begin generated results -->"
	endMarker   = "<!-- make bench: end generated results -->"
)

// results returns the generated part of the report: the machine, the
// command and the table, between the markers.
func results(figures []figure, machine bench.Machine, command string) []byte {
	var b bytes.Buffer
	fmt.Fprintln(&b, beginMarker)
	fmt.Fprintf(&b, "Run on %s UTC with `%s`.\n\n", machine.Date.Format("2006-01-02 15:04"), command)
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %.0f GiB of memory, %s, %s.\n\n", machine.CPUs,
		machine.CPUModel, machine.MemoryGiB, machine.Platform, machine.GoVersion)
	writeTable(&b, figures, true)
	fmt.Fprintln(&b, endMarker)
	return b.Bytes()
}

// newReport is the file that writeReport creates when none exists.
const newReport = `# Benchmarks

` + "`make bench`" + ` writes the section between the markers below; the rest of
this file is kept as it is.

`

// writeReport replaces the generated part of the report at path, or
// creates the file.
func writeReport(path string, generated []byte) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		old = []byte(newReport + beginMarker + "\n" + endMarker + "\n")
	} else if err != nil {
		return fmt.Errorf("reading the report failed: %w", err)
	}
	begin := bytes.Index(old, []byte(beginMarker))
	end := bytes.Index(old, []byte(endMarker))
	if begin < 0 || end < begin {
		return fmt.Errorf("%s lacks the lines %q and %q around the generated results; "+
			"restore them or delete the file", path, beginMarker, endMarker)
	}
	var updated bytes.Buffer
	updated.Write(old[:begin])
	updated.Write(generated)
	updated.Write(bytes.TrimPrefix(old[end+len(endMarker):], []byte("\n")))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating the report's folder failed: %w", err)
	}
	return os.WriteFile(path, updated.Bytes(), 0o644)
}

// ratio formats a ratio with two decimals and a trailing ×.
func ratio(value float64) string { return fmt.Sprintf("%.2f×", value) }

// ms formats milliseconds with the precision that suits their size.
func ms(value float64) string {
	if value < 10 {
		return fmt.Sprintf("%.2f ms", value)
	}
	return fmt.Sprintf("%.1f ms", value)
}

// mib formats a byte count in MiB.
func mib(bytes int64) string { return fmt.Sprintf("%.2f MiB", float64(bytes)/(1<<20)) }
