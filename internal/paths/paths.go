// Package paths derives every location lychd reads or writes from $HOME and
// the XDG base-directory variables, so that HOME=$(mktemp -d) is a complete
// sandbox.
package paths

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Paths are the directories lychd uses. Build them with FromEnv.
type Paths struct {
	// Home is $HOME.
	Home string
	// ConfigHome is $XDG_CONFIG_HOME or ~/.config.
	ConfigHome string
	// DataHome is $XDG_DATA_HOME or ~/.local/share.
	DataHome string
	// CacheHome is $XDG_CACHE_HOME or ~/.cache.
	CacheHome string
	// StateHome is $XDG_STATE_HOME or ~/.local/state.
	StateHome string
	// RuntimeDir is $XDG_RUNTIME_DIR (may be empty).
	RuntimeDir string
}

// FromEnv reads HOME and the XDG variables through getenv (os.Getenv when
// nil). Relative XDG values are ignored, as the XDG specification requires.
func FromEnv(getenv func(string) string) (Paths, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	home := getenv("HOME")
	if home == "" || !filepath.IsAbs(home) {
		return Paths{}, errors.New("HOME is not set to an absolute path; lychd derives all its paths from it")
	}
	pick := func(env, def string) string {
		if v := getenv(env); v != "" && filepath.IsAbs(v) {
			return filepath.Clean(v)
		}
		return filepath.Join(home, def)
	}
	return Paths{
		Home:       filepath.Clean(home),
		ConfigHome: pick("XDG_CONFIG_HOME", ".config"),
		DataHome:   pick("XDG_DATA_HOME", ".local/share"),
		CacheHome:  pick("XDG_CACHE_HOME", ".cache"),
		StateHome:  pick("XDG_STATE_HOME", ".local/state"),
		RuntimeDir: getenv("XDG_RUNTIME_DIR"),
	}, nil
}

// CodexDir is the user's Codex: lychd.toml, soulstones/*.toml, portals/*.toml.
func (p Paths) CodexDir() string { return filepath.Join(p.ConfigHome, "lychd") }

// QuadletDir is the Podman Quadlet binding site for rootless units.
func (p Paths) QuadletDir() string { return filepath.Join(p.ConfigHome, "containers", "systemd") }

// SystemdUserDir is the systemd user unit directory, where .target files go.
func (p Paths) SystemdUserDir() string { return filepath.Join(p.ConfigHome, "systemd", "user") }

// DataDir is lychd's own data directory (the Crypt).
func (p Paths) DataDir() string { return filepath.Join(p.DataHome, "lychd") }

// ExtensionsDir holds installed extension binaries and their lock file.
func (p Paths) ExtensionsDir() string { return filepath.Join(p.DataDir(), "extensions") }

// BindingsDir holds the generations of inscribed unit files.
func (p Paths) BindingsDir() string { return filepath.Join(p.DataDir(), "bindings") }

// CacheDir is lychd's cache directory (registration cache).
func (p Paths) CacheDir() string { return filepath.Join(p.CacheHome, "lychd") }

// ExtensionLogDir holds, per extension, what it wrote during its last
// launch (NAME.json): its log lines, stderr and stdout.
func (p Paths) ExtensionLogDir() string { return filepath.Join(p.StateHome, "lychd", "extension-logs") }

// CurrentGeneration is the link to the generation lychd bind last
// switched to; its record of what is bound is bound.json inside it.
func (p Paths) CurrentGeneration() string { return filepath.Join(p.BindingsDir(), "current") }

// ProcessDir is where lychd keeps what its processes need only while they
// run (the sockets extensions listen on): $XDG_RUNTIME_DIR/lychd when that
// directory exists, else lychd-UID in the system's temporary directory.
// Paths there must stay short: a socket path has at most 107 bytes.
func (p Paths) ProcessDir() string {
	if p.RuntimeDir != "" && filepath.IsAbs(p.RuntimeDir) {
		if fi, err := os.Stat(p.RuntimeDir); err == nil && fi.IsDir() {
			return filepath.Join(p.RuntimeDir, "lychd")
		}
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("lychd-%d", os.Getuid()))
}
