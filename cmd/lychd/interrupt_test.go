package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/host/hosttest"
	"github.com/lychd/lychd/internal/cmd/factory"
	"github.com/lychd/lychd/internal/cmd/root"
	"github.com/lychd/lychd/internal/cmdutil"
)

// TestInterruptedBindLeavesTheSiteAsItWas: Ctrl-C (the cancelled context
// main makes of SIGINT and SIGTERM) while an extension hangs in its
// assimilation, ignoring SIGTERM and with a child of its own: lychd ends
// promptly with exit 1 saying it was interrupted, the extension and its
// child are gone, and every file of the binding site is as it was.
func TestInterruptedBindLeavesTheSiteAsItWas(t *testing.T) {
	ext, err := hosttest.Dir()
	if err != nil {
		t.Fatalf("building the test extensions: %v", err)
	}
	home := t.TempDir()
	env := map[string]string{
		"HOME":                     home,
		"XDG_RUNTIME_DIR":          filepath.Join(home, "run"),
		"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(home, "run", "no-bus"),
	}
	if err := os.MkdirAll(filepath.Join(home, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	lychd := func(ctx context.Context, args ...string) int {
		stdout.Reset()
		stderr.Reset()
		f := factory.New()
		f.IO = cmdutil.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}
		f.Getenv = func(k string) string { return env[k] }
		return root.Run(ctx, f, args)
	}
	codex := func(table string) {
		t.Helper()
		dir := filepath.Join(home, ".config", "lychd")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "lychd.toml"), []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if code := lychd(ctx, "extension", "install", filepath.Join(ext, "actor")); code != 0 {
		t.Fatalf("install: exit %d\n%s", code, stderr.String())
	}
	codex("[extensions.actor]\nCount = 2\n")
	if code := lychd(ctx, "bind", "--no-reload"); code != 0 {
		t.Fatalf("bind: exit %d\n%s", code, stderr.String())
	}
	before := siteFiles(t, home)

	marker := fmt.Sprintf("interrupted-bind-%d", os.Getpid())
	codex(fmt.Sprintf("[extensions.actor]\nCount = 3\nHang = true\nIgnoreTerm = true\nForkStay = true\nMarker = %q\n", marker))
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- lychd(cctx, "bind", "--no-reload") }()

	// Ctrl-C once the extension has forked its child, while it hangs.
	for len(hosttest.Leftovers(marker)) == 0 {
		select {
		case code := <-done:
			t.Fatalf("bind ended (exit %d) before the extension forked:\n%s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	var code int
	select {
	case code = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("bind did not end within 10s of Ctrl-C")
	}
	if code != cmdutil.ExitError {
		t.Errorf("exit %d, want %d", code, cmdutil.ExitError)
	}
	if want := "lychd: bind: nothing was written:\nassimilation failed: interrupted (context canceled): lychd stopped every extension it had launched\n"; stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}
	// The extension and its child were killed with lychd's assimilation.
	deadline := time.Now().Add(5 * time.Second)
	for left := hosttest.Leftovers(marker, filepath.Join(home, ".local")); len(left) > 0; left = hosttest.Leftovers(marker, filepath.Join(home, ".local")) {
		if time.Now().After(deadline) {
			t.Fatalf("processes left behind by the interrupted bind: %v", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
	after := siteFiles(t, home)
	if len(after) != len(before) {
		t.Errorf("the site has %d entries after the interrupted bind, %d before", len(after), len(before))
	}
	for p, was := range before {
		if now, ok := after[p]; !ok || now != was {
			t.Errorf("%s: %q before, %q after the interrupted bind", p, was, now)
		}
	}
	for p, now := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: new after the interrupted bind (%q)", p, now)
		}
	}
}

// siteFiles describes every entry lychd binds into under home: its type,
// the target of a link, the sha256 of a file.
func siteFiles(t *testing.T, home string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, top := range []string{".config/containers/systemd", ".config/systemd/user", ".local/share/lychd/bindings"} {
		root := filepath.Join(home, top)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(home, p)
			switch {
			case d.Type()&fs.ModeSymlink != 0:
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				out[rel] = "link " + target
			case d.IsDir():
				out[rel] = "dir"
			default:
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				out[rel] = fmt.Sprintf("file %x", sha256.Sum256(data))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}
