package launch

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lychd/lychd/host/lockfile"
)

// The sha256 check may be skipped only while the file keeps the identity it
// had at install: any write moves its size, mtime or ctime.
func TestUnchangedSinceInstall(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	id := lockfile.IdentityOf(fi)
	open := func() *os.File {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	if !unchangedSinceInstall(open(), id) {
		t.Fatal("an untouched file is reported changed")
	}
	if unchangedSinceInstall(open(), nil) {
		t.Fatal("no recorded identity must mean: hash it")
	}
	// Rewrite the same bytes: size and mtime may match, ctime moves.
	if err := os.WriteFile(p, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if unchangedSinceInstall(open(), id) {
		t.Fatal("a rewritten file is reported unchanged")
	}
	if err := os.Chmod(p, 0o700); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Lstat(p)
	id = lockfile.IdentityOf(fi)
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if unchangedSinceInstall(open(), id) {
		t.Fatal("a chmod must invalidate the identity")
	}
}
