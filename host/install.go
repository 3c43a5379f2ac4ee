package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/lychd/lychd/host/cache"
	"github.com/lychd/lychd/host/internal/fsutil"
	"github.com/lychd/lychd/host/launch"
	"github.com/lychd/lychd/host/lockfile"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/validate"
)

// InstallOptions configure Install.
type InstallOptions struct {
	// Dir is the extensions directory (paths.ExtensionsDir()).
	Dir string
	// CacheDir is lychd's cache directory; the extension's cached
	// registration there is invalidated. Empty skips that.
	CacheDir string
	// Source is the binary to install.
	Source string
	// StartTimeout bounds the handshake of the probe launch.
	StartTimeout time.Duration
	// Logger receives go-plugin's log lines; nil discards them.
	Logger hclog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// InstallResult says what Install did.
type InstallResult struct {
	Name  string
	Path  string
	Entry lockfile.Entry
	// Previous is the entry that was replaced when this was an upgrade.
	Previous *lockfile.Entry
}

// ReservedNames cannot be used by installed extensions.
var reservedNames = map[string]bool{"core": true}

// Install copies the binary at opts.Source into the extensions directory,
// launches the copy to ask its name, version and protocol, and records its
// sha256 in the lock file. Installing an extension that is already
// installed upgrades it.
//
// The source is refused when it is group- or world-writable. The copy is
// written to a temporary file in the extensions directory (fsync, mode
// 0755), probed, and renamed into DIR/NAME/lychd-ext-NAME under the lock
// file's flock, so a concurrent assimilation sees either the old or the new
// binary and the lock entry that matches it once the flock is released.
func Install(ctx context.Context, opts InstallOptions) (*InstallResult, error) {
	src, err := filepath.Abs(opts.Source)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", opts.Source, err)
	}
	in, err := os.Open(src)
	if err != nil {
		return nil, fmt.Errorf("cannot install %s: %w", src, err)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot install %s: %w", src, err)
	}
	switch {
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("cannot install %s: it is not a regular file; give the path of the extension's binary", src)
	case st.Mode().Perm()&0o022 != 0:
		return nil, fmt.Errorf("refusing to install %s: it is group- or world-writable (mode %04o), so another user could have replaced it; if it is yours, run: chmod go-w %s", src, st.Mode().Perm(), src)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create extensions directory: %w", err)
	}

	// Copy and hash in one pass, into a temporary file in the extensions
	// directory so that the final rename is atomic.
	tmp, err := os.CreateTemp(opts.Dir, ".install-*.tmp-bin")
	if err != nil {
		return nil, fmt.Errorf("create temporary file in %s: %w", opts.Dir, err)
	}
	tmpPath := tmp.Name()
	defer os.Remove(tmpPath) // no-op once renamed
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), in)
	if err == nil {
		err = tmp.Chmod(0o755)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("copy %s into %s: %w", src, opts.Dir, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))

	// Probe the copy, not the source: what is asked is what gets installed.
	probe := "probe"
	p, err := launch.Start(ctx, launch.Spec{
		Name:         probe,
		Path:         tmpPath,
		SHA256:       sum,
		Source:       src,
		StartTimeout: opts.StartTimeout,
		Logger:       opts.Logger,
	})
	if err != nil {
		return nil, installError(src, err)
	}
	info, err := p.Client.Info(ctx)
	protocol := p.Protocol
	tailLines := p.StderrTail()
	p.Shutdown()
	if err != nil {
		return nil, fmt.Errorf("cannot install %s: asking the extension to describe itself failed: %v%s", src, err, stderrSuffix(tailLines))
	}
	if err := validate.Name(info.Name); err != nil {
		return nil, fmt.Errorf("refusing to install %s: the extension calls itself %s, which is not a valid extension name: %v; ask its author to rename it", src, quoteName(info.Name), err)
	}
	if reservedNames[info.Name] {
		return nil, fmt.Errorf("refusing to install %s: the name %q is reserved for lychd's built-in extension; ask its author to rename it", src, info.Name)
	}
	if err := sdk.ValidateInfo(info); err != nil {
		return nil, fmt.Errorf("refusing to install %s: its description of itself is invalid: %v; ask its author to fix it", src, err)
	}
	target, err := BinaryPath(opts.Dir, info.Name)
	if err != nil {
		return nil, fmt.Errorf("refusing to install %s: %w", src, err)
	}

	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	res := &InstallResult{Name: info.Name, Path: target}
	res.Entry = lockfile.Entry{
		Version:     info.Version,
		Protocol:    protocol,
		SHA256:      sum,
		Size:        size,
		Installed:   now().UTC().Truncate(time.Second),
		Source:      src,
		Description: info.Description,
	}
	err = lockfile.Update(opts.Dir, func(l *lockfile.Lock) error {
		if prev, ok := l.Extensions[info.Name]; ok {
			res.Previous = &prev
		}
		extDir := filepath.Dir(target)
		if err := os.Mkdir(extDir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", extDir, err)
		}
		if err := os.Rename(tmpPath, target); err != nil {
			return fmt.Errorf("move the new binary into place: %w", err)
		}
		if err := fsutil.SyncDir(extDir); err != nil {
			return err
		}
		if err := fsutil.SyncDir(opts.Dir); err != nil {
			return err
		}
		if fi, err := os.Lstat(target); err == nil {
			res.Entry.Identity = lockfile.IdentityOf(fi)
		}
		l.Extensions[info.Name] = res.Entry
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("install %s as extension %q: %w", src, info.Name, err)
	}
	if opts.CacheDir != "" {
		if err := cache.New(opts.CacheDir).Forget(info.Name); err != nil {
			return res, err
		}
	}
	return res, nil
}

// installError rephrases a probe launch failure for install.
func installError(src string, err error) error {
	if e, ok := launchErr(err); ok {
		return fmt.Errorf("cannot install %s: the binary %s%s", src, e.Msg, stderrSuffix(e.Stderr))
	}
	return fmt.Errorf("cannot install %s: %w", src, err)
}

// RemoveOptions configure Remove.
type RemoveOptions struct {
	Dir      string
	CacheDir string
	Name     string
}

// Remove deletes an installed extension: its directory and its lock entry.
func Remove(opts RemoveOptions) (*lockfile.Entry, error) {
	var removed lockfile.Entry
	err := lockfile.Update(opts.Dir, func(l *lockfile.Lock) error {
		e, ok := l.Extensions[opts.Name]
		if !ok {
			return fmt.Errorf("extension %s is not installed; see the installed ones with: lychd extension list", quoteName(opts.Name))
		}
		removed = e
		if p, err := BinaryPath(opts.Dir, opts.Name); err == nil {
			if err := os.RemoveAll(filepath.Dir(p)); err != nil {
				return fmt.Errorf("delete %s: %w", filepath.Dir(p), err)
			}
			if err := fsutil.SyncDir(opts.Dir); err != nil {
				return err
			}
		}
		delete(l.Extensions, opts.Name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if opts.CacheDir != "" {
		if err := cache.New(opts.CacheDir).Forget(opts.Name); err != nil {
			return &removed, err
		}
	}
	return &removed, nil
}
