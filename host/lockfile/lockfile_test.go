package lockfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestUpdateIsSerializedAndAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ext")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := Update(dir, func(l *Lock) error {
				l.Extensions[string(rune('a'+i))] = Entry{Version: "1", Installed: time.Unix(0, 0).UTC()}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	l, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Extensions) != 20 {
		t.Errorf("%d entries after 20 concurrent updates, want 20 (an update was lost)", len(l.Extensions))
	}
	// A failing fn leaves the file untouched.
	before, _ := os.ReadFile(Path(dir))
	boom := errors.New("boom")
	if err := Update(dir, func(l *Lock) error { delete(l.Extensions, "a"); return boom }); err != boom {
		t.Errorf("Update returned %v, want fn's error", err)
	}
	after, _ := os.ReadFile(Path(dir))
	if string(before) != string(after) {
		t.Error("a failed update changed the lock file")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("directory holds %d entries, want the lock and its flock file only", len(ents))
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	l, err := Read(filepath.Join(dir, "missing"))
	if err != nil || len(l.Extensions) != 0 || l.Format != FormatVersion {
		t.Errorf("missing lock: %+v, %v", l, err)
	}
	os.WriteFile(Path(dir), []byte("{not json"), 0o644)
	_, err = Read(dir)
	want := "extension lock file " + Path(dir) + " is corrupt (invalid character 'n' looking for beginning of object key string); move it aside and reinstall your extensions with: lychd extension install PATH"
	if err == nil || err.Error() != want {
		t.Errorf("corrupt: %v\nwant: %s", err, want)
	}
	os.WriteFile(Path(dir), []byte(`{"format": 9, "extensions": {}}`), 0o644)
	_, err = Read(dir)
	want = "extension lock file " + Path(dir) + " has format 9, newer than this lychd understands (1); upgrade lychd"
	if err == nil || err.Error() != want {
		t.Errorf("newer: %v\nwant: %s", err, want)
	}
}

// The sha256 check may be skipped only while the file keeps the identity it
// had at install: any write moves its size, mtime or ctime.
func TestSame(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("binary"))
	sha := hex.EncodeToString(sum[:])
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	id := IdentityOf(fi)
	same := func(sha string, id *Identity) (bool, string) {
		t.Helper()
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ok, got, err := Same(f, sha, id)
		if err != nil {
			t.Fatal(err)
		}
		return ok, got
	}
	// Untouched: not even read (a wrong digest is not noticed).
	if ok, got := same("not-read", id); !ok || got != "" {
		t.Fatalf("an untouched file: same=%v got=%q, want it trusted without reading", ok, got)
	}
	if ok, got := same(sha, nil); !ok || got != sha {
		t.Fatalf("no recorded identity must mean: hash it (same=%v got=%q)", ok, got)
	}
	// Rewrite the same bytes: size and mtime may match, ctime moves.
	if err := os.WriteFile(p, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if ok, got := same("not-read", id); ok || got != sha {
		t.Fatalf("a rewritten file: same=%v got=%q, want it hashed", ok, got)
	}
	if err := os.Chmod(p, 0o700); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Lstat(p)
	id = IdentityOf(fi)
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if ok, _ := same("not-read", id); ok {
		t.Fatal("a chmod must invalidate the identity")
	}
	if err := os.WriteFile(p, []byte("binarz"), 0o755); err != nil {
		t.Fatal(err)
	}
	if ok, got := same(sha, nil); ok || got == sha {
		t.Fatalf("a changed file: same=%v got=%q", ok, got)
	}
}
