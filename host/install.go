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
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/lychd/lychd/host/cache"
	"github.com/lychd/lychd/host/failure"
	"github.com/lychd/lychd/host/launch"
	"github.com/lychd/lychd/host/lockfile"
	"github.com/lychd/lychd/internal/durable"
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
	// ProcessDir is where the probe launch keeps its socket (see
	// Options.ProcessDir); empty uses the system's temporary directory.
	ProcessDir string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Replace decides whether an installed extension of the same name but
	// from another source may be replaced by this one (an upgrade from a
	// different place could be another program taking over the name and
	// its [extensions.NAME] table). Nil refuses with *SourceChangedError.
	Replace func(name string, prev, next lockfile.Entry) (bool, error)
}

// SourceChangedError is Install's refusal to replace an extension
// installed from one path with a binary from another.
type SourceChangedError struct {
	Name       string
	Prev, Next lockfile.Entry
}

func (e *SourceChangedError) Error() string {
	return fmt.Sprintf("refusing to install %s: extension %s %s is installed from %s, and this binary (%s %s) comes from elsewhere, so it would take over the name %s and its [extensions.%s] table; if you mean to replace it, run again with --force (or answer yes on a terminal), or remove it first with: lychd extension remove %s",
		e.Next.Source, e.Name, e.Prev.Version, failure.InstallSource(e.Prev.Source), e.Name, e.Next.Version, e.Name, e.Name, e.Name)
}

// MaxBinarySize is the largest extension binary Install accepts.
const MaxBinarySize = 1 << 30

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
// installed upgrades it; one installed from another path is replaced only
// when opts.Replace says so.
//
// The source is refused when it is not a regular file (it is checked
// before it is opened, and opened without blocking, so a FIFO cannot hang
// the install) or when it is group- or world-writable. It is read once;
// the copy that is probed is what gets installed: written to a temporary
// file in the extensions directory, probed, and moved into
// DIR/NAME/lychd-ext-NAME (renameio: atomic and durable) under the lock
// file's flock, so a concurrent assimilation sees either the old or the
// new binary and the lock entry that matches it.
func Install(ctx context.Context, opts InstallOptions) (*InstallResult, error) {
	src, err := filepath.Abs(opts.Source)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", opts.Source, err)
	}
	data, err := readSource(src)
	if err != nil {
		return nil, err
	}
	if err := checkFormat(data); err != nil {
		return nil, fmt.Errorf("refusing to install %s: %w", src, err)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create extensions directory: %w", err)
	}
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])

	// Probe a copy of what will be installed.
	probeFile, err := os.CreateTemp(opts.Dir, ".install-*.tmp-bin")
	if err != nil {
		return nil, fmt.Errorf("create temporary file in %s: %w", opts.Dir, err)
	}
	probePath := probeFile.Name()
	defer os.Remove(probePath)
	_, err = probeFile.Write(data)
	if err == nil {
		err = probeFile.Chmod(0o755)
	}
	if cerr := probeFile.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("copy %s into %s: %w", src, opts.Dir, err)
	}
	var rd *launch.RunDir
	if opts.ProcessDir != "" {
		if rd, err = launch.NewRunDir(opts.ProcessDir); err != nil {
			return nil, err
		}
		defer rd.Remove()
	}
	p, err := launch.Start(ctx, launch.Spec{
		Name:         "probe",
		Path:         probePath,
		SHA256:       sum,
		Source:       src,
		StartTimeout: opts.StartTimeout,
		Logger:       opts.Logger,
		Env:          rd.Env(),
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
		Size:        int64(len(data)),
		Installed:   now().UTC().Truncate(time.Second),
		Source:      src,
		Description: info.Description,
	}
	lock, err := lockfile.Read(opts.Dir)
	if err != nil {
		return nil, err
	}
	if prev, ok := lock.Extensions[info.Name]; ok && prev.Source != "" && prev.Source != src {
		replace := false
		if opts.Replace != nil {
			if replace, err = opts.Replace(info.Name, prev, res.Entry); err != nil {
				return nil, err
			}
		}
		if !replace {
			return nil, &SourceChangedError{Name: info.Name, Prev: prev, Next: res.Entry}
		}
	}
	err = lockfile.Update(opts.Dir, func(l *lockfile.Lock) error {
		if prev, ok := l.Extensions[info.Name]; ok {
			res.Previous = &prev
		}
		extDir := filepath.Dir(target)
		if err := os.Mkdir(extDir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", extDir, err)
		}
		if err := durable.WriteFile(target, data, 0o755); err != nil {
			return fmt.Errorf("move the new binary into place: %w", err)
		}
		if err := durable.SyncDir(opts.Dir); err != nil {
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

// readSource reads the binary at src whole. It refuses anything but a
// regular file before opening it (a FIFO or a device would block the open
// or the read), opens it without blocking in case it was swapped since,
// and checks again what it opened.
func readSource(src string) ([]byte, error) {
	notRegular := func(mode fs.FileMode) error {
		return fmt.Errorf("cannot install %s: it is not a regular file (%s); give the path of the extension's binary", src, describeMode(mode))
	}
	st, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("cannot install %s: %w", src, unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return nil, notRegular(st.Mode())
	}
	f, err := os.OpenFile(src, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot install %s: %w", src, unwrapPath(err))
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("cannot install %s: %w", src, err)
	}
	switch {
	case !st.Mode().IsRegular():
		return nil, notRegular(st.Mode())
	case st.Mode().Perm()&0o022 != 0:
		return nil, fmt.Errorf("refusing to install %s: it is group- or world-writable (mode %04o), so another user could have replaced it; if it is yours, run: chmod go-w %s", src, st.Mode().Perm(), src)
	case st.Size() > MaxBinarySize:
		return nil, fmt.Errorf("refusing to install %s: it is %d bytes, more than the %d an extension binary may have", src, st.Size(), MaxBinarySize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxBinarySize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot install %s: %w", src, err)
	}
	if len(data) > MaxBinarySize {
		return nil, fmt.Errorf("refusing to install %s: it is more than the %d bytes an extension binary may have", src, MaxBinarySize)
	}
	return data, nil
}

// describeMode names a file type for messages.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "mode " + m.String()
}

// unwrapPath drops the *fs.PathError wrapping of err, whose path the
// caller's message already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
			if err := durable.SyncDir(opts.Dir); err != nil {
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
