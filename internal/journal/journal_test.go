package journal

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeJournalctl puts a journalctl on PATH that prints its arguments and
// then what the test gives.
func fakeJournalctl(t *testing.T, script string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "journalctl"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestTailAsksForTheUnitsLastLines(t *testing.T) {
	fakeJournalctl(t, `echo "$*"; echo line2`)
	got, err := Tail(context.Background(), "lychd-soulstone-x.service", 10)
	want := "--user --unit lychd-soulstone-x.service --lines 10 --no-pager --quiet --output short-precise\nline2"
	if err != nil || got != want {
		t.Fatalf("Tail = %q, %v; want %q", got, err, want)
	}
}

func TestTailNoEntries(t *testing.T) {
	fakeJournalctl(t, `echo "-- No entries --"`)
	if got, err := Tail(context.Background(), "x.service", 10); err != nil || got != "" {
		t.Fatalf("Tail = %q, %v; want empty", got, err)
	}
}

func TestTailError(t *testing.T) {
	fakeJournalctl(t, `echo "Failed to open journal" >&2; exit 1`)
	_, err := Tail(context.Background(), "x.service", 10)
	if err == nil || !strings.HasPrefix(err.Error(), "reading the journal of x.service: journalctl: exit status 1: Failed to open journal") {
		t.Fatalf("err = %v", err)
	}
}
