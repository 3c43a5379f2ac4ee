// Package cache stores what an extension registered, so that the next
// assimilation with the same binary and configuration needs neither a
// launch nor a re-hash of the binary.
//
// An entry is valid only for an exact Key: the sha256 and protocol recorded
// in the lock file, a stat fingerprint of the binary (size, mtime, inode,
// ctime: ctime changes on every write, chmod or rename and cannot be set
// back), the sha256 of the extension's configuration and the cache format.
// Any difference is a miss. Install, upgrade and remove also delete the
// extension's entry.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/lychd/lychd/host/internal/fsutil"
	"github.com/lychd/lychd/internal/model"
)

// Format is bumped whenever the entry layout or the host's validation
// changes, invalidating every cached registration.
const Format = 2

// Key identifies one registration.
type Key struct {
	Format   int    `json:"format"`
	SHA256   string `json:"sha256"`
	Protocol int    `json:"protocol"`
	Size     int64  `json:"size"`
	MtimeNs  int64  `json:"mtime_ns"`
	CtimeNs  int64  `json:"ctime_ns"`
	Inode    uint64 `json:"inode"`
	Device   uint64 `json:"device"`
	// Config is the hex sha256 of the extension's configuration JSON.
	Config string `json:"config"`
	// Host fingerprints the lychd executable (see HostFingerprint), so that
	// upgrading lychd, and with it the rules registrations were checked
	// against, invalidates every entry.
	Host string `json:"host"`
}

// HostFingerprint identifies the running executable by the stat of
// os.Executable() (see FileFingerprint). It is "" when that cannot be
// read, which still works as a key but survives an upgrade only if the
// Format does not change.
func HostFingerprint() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return FileFingerprint(exe)
}

// FileFingerprint identifies the file at path by its size, mtime, ctime,
// inode and device, or is "-" when it cannot be stat'ed. Several of them
// joined make the host fingerprint of a lychd made of several binaries.
func FileFingerprint(path string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "-"
	}
	return fmt.Sprintf("%d:%d:%d:%d:%d", st.Size, st.Mtim.Nano(), st.Ctim.Nano(), st.Ino, st.Dev)
}

// Entry is one cached registration.
type Entry struct {
	Key     Key    `json:"key"`
	Version string `json:"version"`
	// Protocol is the protocol the registration was made in, for the
	// core (an extension's is in its Key).
	Protocol  int              `json:"protocol,omitempty"`
	Runes     []model.Rune     `json:"runes"`
	Animators []model.Animator `json:"animators"`
}

// Cache is the registration cache in one directory.
type Cache struct{ dir string }

// New returns the cache stored under dir (typically paths.CacheDir()).
func New(dir string) *Cache { return &Cache{dir: filepath.Join(dir, "registrations")} }

// KeyFor builds the key of the binary at path, given the lock's sha256 and
// protocol, the extension's configuration and the HostFingerprint.
func KeyFor(path, sha string, protocol int, config []byte, host string) (Key, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return Key{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	k := KeyForConfig(config, host)
	k.SHA256, k.Protocol = sha, protocol
	k.Size, k.MtimeNs, k.CtimeNs = st.Size, st.Mtim.Nano(), st.Ctim.Nano()
	k.Inode, k.Device = st.Ino, uint64(st.Dev)
	return k, nil
}

// KeyForConfig builds the key of a registration that only the host and
// the configuration decide (the core compiled into the host).
func KeyForConfig(config []byte, host string) Key {
	sum := sha256.Sum256(config)
	return Key{Format: Format, Config: hex.EncodeToString(sum[:]), Host: host}
}

func (c *Cache) path(name string) string { return filepath.Join(c.dir, name+".json") }

// Load returns the entry of extension name when it exists and its key is
// exactly key. A missing, unreadable or stale entry is a miss.
func (c *Cache) Load(name string, key Key) (*Entry, bool) {
	data, err := os.ReadFile(c.path(name))
	if err != nil {
		return nil, false
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil || e.Key != key {
		return nil, false
	}
	return &e, true
}

// Store records the entry of extension name.
func (c *Cache) Store(name string, e *Entry) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("create registration cache: %w", err)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode registration cache entry for %q: %w", name, err)
	}
	// A cache need not survive a crash: a lost or torn entry is a miss.
	return fsutil.ReplaceFile(c.path(name), data, 0o600)
}

// Forget deletes the entry of extension name, if any.
func (c *Cache) Forget(name string) error {
	err := os.Remove(c.path(name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("invalidate registration cache of %q: %w", name, err)
	}
	return nil
}
