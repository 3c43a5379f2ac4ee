package flock

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestExcludesAndReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bind.lock")
	l1, err := Acquire(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = Acquire(ctx, path)
	want := "wait for lock " + path + " (another lychd is binding): context deadline exceeded"
	if err == nil || err.Error() != want {
		t.Fatalf("second Acquire: %v\nwant %s", err, want)
	}
	got := make(chan error)
	go func() {
		l2, err := Acquire(context.Background(), path)
		if err == nil {
			err = l2.Unlock()
		}
		got <- err
	}()
	if err := l1.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("Acquire after Unlock: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file mode %o, want 600", fi.Mode().Perm())
	}
}

func TestRefusesSymlinkAndDirectory(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("v"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.lock")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	want := "open lock file " + link + ": it is a symlink, which lychd never follows; remove it and retry"
	if _, err := Acquire(context.Background(), link); err == nil || err.Error() != want {
		t.Fatalf("symlink: %v\nwant %s", err, want)
	}
	sub := filepath.Join(dir, "sub.lock")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	want = "open lock file " + sub + ": is a directory"
	if _, err := Acquire(context.Background(), sub); err == nil || err.Error() != want {
		t.Fatalf("directory: %v\nwant %s", err, want)
	}
}
