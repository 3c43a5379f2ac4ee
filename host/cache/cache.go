// Package cache stores what an extension registered, so that the next
// assimilation with the same binary and configuration needs neither a
// launch nor a re-hash of the binary.
//
// An entry is valid only for an exact Key: the sha256 and protocol recorded
// in the lock file, a stat fingerprint of the binary (size, mtime, inode,
// ctime: ctime changes on every write, chmod or rename and cannot be set
// back), the sha256 of the extension's configuration and the cache format.
// Any difference is a miss. Install, upgrade and remove also delete the
// extension's entry. All entries live in one file (see Cache).
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/lychd/lychd/internal/durable"
	"github.com/lychd/lychd/sdk"
)

// Format is bumped whenever the entry layout or the host's validation
// changes, invalidating every cached registration.
const Format = 4

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

// Entry is one cached registration: what the extension registered, as it
// registered it (the host checks it again when it takes it from the
// cache).
type Entry struct {
	Key       Key            `json:"key"`
	Version   string         `json:"version"`
	Runes     []sdk.Rune     `json:"runes"`
	Animators []sdk.Animator `json:"animators"`
	// Presets are the engine presets it registered.
	Presets []sdk.NamedPreset `json:"presets,omitempty"`
}

// Cache is the registration cache of one cache directory: one file,
// registrations.json, holding every entry, so that a warm assimilation
// reads one file and a cold one writes one (creating a file per extension
// cost a cold bind of 32 extensions about 20 ms of CPU in the file
// system). The file is read once per Cache. Writers replace it whole
// (write a temporary file, rename), so two lychd processes writing at once
// can lose each other's new entries: that is a later miss, never a wrong
// hit, since every entry carries its full key.
type Cache struct {
	dir string

	mu sync.Mutex
	// entries is the file as read, by name; nil until read.
	entries map[string]json.RawMessage
}

// fileName is the cache file under the directory.
const fileName = "registrations.json"

// file is the layout of the cache file.
type file struct {
	Format  int                        `json:"format"`
	Entries map[string]json.RawMessage `json:"entries"`
}

// New returns the cache stored under dir (typically paths.CacheDir()).
func New(dir string) *Cache { return &Cache{dir: dir} }

// KeyFor builds the key of the binary at path, given the lock's sha256 and
// protocol, the extension's configuration and the HostFingerprint.
func KeyFor(path, sha string, protocol int, config []byte, host string) (Key, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return Key{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	k := keyForConfig(config, host)
	k.SHA256, k.Protocol = sha, protocol
	k.Size, k.MtimeNs, k.CtimeNs = st.Size, st.Mtim.Nano(), st.Ctim.Nano()
	k.Inode, k.Device = st.Ino, uint64(st.Dev)
	return k, nil
}

// keyForConfig builds the part of a key that the host and the
// configuration decide.
func keyForConfig(config []byte, host string) Key {
	sum := sha256.Sum256(config)
	return Key{Format: Format, Config: hex.EncodeToString(sum[:]), Host: host}
}

func (c *Cache) path() string { return filepath.Join(c.dir, fileName) }

// read returns the entries on disk; a missing, unreadable or older file
// has none.
func (c *Cache) read() map[string]json.RawMessage {
	data, err := os.ReadFile(c.path())
	if err != nil {
		return map[string]json.RawMessage{}
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil || f.Format != Format || f.Entries == nil {
		return map[string]json.RawMessage{}
	}
	return f.Entries
}

// loaded returns the entries, reading the file on first use. Call with mu
// held.
func (c *Cache) loaded() map[string]json.RawMessage {
	if c.entries == nil {
		c.entries = c.read()
	}
	return c.entries
}

// Load returns the entry of extension name when it exists and its key is
// exactly key. A missing, unreadable or stale entry is a miss.
func (c *Cache) Load(name string, key Key) (*Entry, bool) {
	c.mu.Lock()
	raw, ok := c.loaded()[name]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	var e Entry
	if err := json.Unmarshal(raw, &e); err != nil || e.Key != key {
		return nil, false
	}
	return &e, true
}

// Has reports whether an entry is stored under name, whatever its key.
func (c *Cache) Has(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.loaded()[name]
	return ok
}

// Store records the entry of extension name (see StoreAll).
func (c *Cache) Store(name string, e *Entry) error {
	return c.StoreAll(map[string]*Entry{name: e})
}

// StoreAll records entries, by extension name, with one write of the
// file: the entries on disk now, with these added or replaced.
func (c *Cache) StoreAll(entries map[string]*Entry) error {
	if len(entries) == 0 {
		return nil
	}
	raws := make(map[string]json.RawMessage, len(entries))
	for name, e := range entries {
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode registration cache entry for %q: %w", name, err)
		}
		raws[name] = data
	}
	return c.update(func(m map[string]json.RawMessage) bool {
		for name, raw := range raws {
			m[name] = raw
		}
		return true
	})
}

// Forget deletes the entry of extension name, if any.
func (c *Cache) Forget(name string) error {
	err := c.update(func(m map[string]json.RawMessage) bool {
		if _, ok := m[name]; !ok {
			return false
		}
		delete(m, name)
		return true
	})
	if err != nil {
		return fmt.Errorf("invalidate registration cache of %q: %w", name, err)
	}
	return nil
}

// update applies change to the entries on disk (read afresh, so that
// entries another process wrote since this Cache read the file are kept)
// and writes them when change reports a change.
func (c *Cache) update(change func(map[string]json.RawMessage) bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.read()
	if !change(m) {
		c.entries = m
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("create registration cache: %w", err)
	}
	data, err := json.Marshal(file{Format: Format, Entries: m})
	if err != nil {
		return fmt.Errorf("encode registration cache: %w", err)
	}
	if err := durable.WriteFile(c.path(), data, 0o600); err != nil {
		return err
	}
	c.entries = m
	return nil
}
