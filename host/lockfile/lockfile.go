// Package lockfile reads and updates extensions.lock.json, the record of
// every installed extension and the sha256 of its binary, under an flock so
// that concurrent installs and removes never lose an update.
package lockfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lychd/lychd/internal/durable"
)

// FileName is the lock file's name inside the extensions directory.
const FileName = "extensions.lock.json"

// flockName is the file held with flock(2) while the lock file is updated.
// The lock file itself is replaced by rename, so it cannot carry the flock.
const flockName = ".extensions.lock.flock"

// FormatVersion is the version of the lock file format written by this
// package.
const FormatVersion = 1

// Entry records one installed extension.
type Entry struct {
	// Version is the extension's self-reported version.
	Version string `json:"version"`
	// Protocol is the negotiated lychd extension protocol version.
	Protocol int `json:"protocol"`
	// SHA256 is the hex sha256 of the installed binary.
	SHA256 string `json:"sha256"`
	// Size is the binary's size in bytes.
	Size int64 `json:"size"`
	// Installed is when the binary was installed (UTC).
	Installed time.Time `json:"installed"`
	// Source is the absolute path the binary was installed from.
	Source string `json:"source"`
	// Description is the extension's one-line description.
	Description string `json:"description,omitempty"`
	// Identity is the installed file's identity right after install. While
	// the file still has it, the binary cannot have been written since
	// (any write or chmod moves its ctime, which no user can set back), so
	// a launch need not hash it again.
	Identity *Identity `json:"identity,omitempty"`
}

// Identity identifies one version of a file on disk.
type Identity struct {
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtime_ns"`
	CtimeNs int64  `json:"ctime_ns"`
}

// IdentityOf returns the identity of fi, or nil when the platform's stat
// data is not available.
func IdentityOf(fi os.FileInfo) *Identity {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return &Identity{
		Dev:     uint64(st.Dev),
		Ino:     st.Ino,
		Size:    st.Size,
		MtimeNs: st.Mtim.Nano(),
		CtimeNs: st.Ctim.Nano(),
	}
}

// Same reports whether the open file f is still the binary an entry
// records with sha (its hex sha256) and id (its identity at install).
// While f has the identity it cannot have been written since, and it is
// not read; otherwise it is hashed, and got is its digest.
func Same(f *os.File, sha string, id *Identity) (same bool, got string, err error) {
	if id != nil {
		if fi, err := f.Stat(); err == nil {
			if now := IdentityOf(fi); now != nil && *now == *id {
				return true, "", nil
			}
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return false, "", fmt.Errorf("read %s: %w", f.Name(), err)
	}
	got = hex.EncodeToString(h.Sum(nil))
	return got == sha, got, nil
}

// Lock is the content of the lock file.
type Lock struct {
	// Format is FormatVersion.
	Format int `json:"format"`
	// Extensions maps extension names to their entries.
	Extensions map[string]Entry `json:"extensions"`
}

// Path is the lock file inside dir.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// IsOwnFile reports whether name (a base name in the extensions directory)
// belongs to the lock machinery rather than to an extension.
func IsOwnFile(name string) bool { return name == FileName || name == flockName }

// Read loads the lock file in dir. A missing file is an empty lock.
func Read(dir string) (*Lock, error) {
	data, err := os.ReadFile(Path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return &Lock{Format: FormatVersion, Extensions: map[string]Entry{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read extension lock file: %w", err)
	}
	return parse(dir, data)
}

func parse(dir string, data []byte) (*Lock, error) {
	var l Lock
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("extension lock file %s is corrupt (%v); move it aside and reinstall your extensions with: lychd extension install PATH", Path(dir), err)
	}
	if l.Format > FormatVersion {
		return nil, fmt.Errorf("extension lock file %s has format %d, newer than this lychd understands (%d); upgrade lychd", Path(dir), l.Format, FormatVersion)
	}
	l.Format = FormatVersion
	if l.Extensions == nil {
		l.Extensions = map[string]Entry{}
	}
	return &l, nil
}

// Update creates dir if needed, takes an exclusive flock, reads the lock,
// calls fn and, when fn returns nil, writes the lock back atomically. The
// flock is held until Update returns, so fn may also move binaries into
// place.
func Update(dir string, fn func(*Lock) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create extensions directory: %w", err)
	}
	unlock, err := Acquire(dir)
	if err != nil {
		return err
	}
	defer unlock()
	l, err := Read(dir)
	if err != nil {
		return err
	}
	if err := fn(l); err != nil {
		return err
	}
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return fmt.Errorf("encode extension lock file: %w", err)
	}
	data = append(data, '\n')
	if err := durable.WriteFile(Path(dir), data, 0o644); err != nil {
		return fmt.Errorf("write extension lock file: %w", err)
	}
	return nil
}

// Acquire takes the exclusive flock of the extensions directory dir (which
// must exist) and returns the function releasing it.
func Acquire(dir string) (release func(), err error) { return acquire(dir, unix.LOCK_EX) }

// AcquireShared takes the flock of dir shared: held during an
// assimilation, it keeps install and remove from changing binaries and the
// lock file until the assimilation has read and verified them. A missing
// directory needs no lock (release is then a no-op).
func AcquireShared(dir string) (release func(), err error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return func() {}, nil
	}
	return acquire(dir, unix.LOCK_SH)
}

func acquire(dir string, how int) (release func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, flockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open extension lock: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}
