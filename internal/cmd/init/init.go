// Package initcmd implements `lychd init`: everything a Sepulcher needs
// before its first bind and start that lychd bind does not write. It
// creates a commented Codex skeleton, every host directory the core's
// units mount (Podman refuses to start a container whose bind-mount source
// is missing) and the core's Podman secrets, from random values. It never
// changes what exists: a file, directory or secret that is there is kept
// and reported; running it again does nothing.
package initcmd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/podman"
	"github.com/lychd/lychd/plugins/core"
)

// Options are the inputs of `lychd init`.
type Options struct {
	IO     cmdutil.IOStreams
	Paths  func() (paths.Paths, error)
	DryRun bool
	// Secrets is Podman's secret store (podman.ErrNoPodman without
	// podman).
	Secrets func() (podman.Secrets, error)
}

// NewCmd returns the init command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, Secrets: f.Secrets}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the Codex skeleton, the Crypt directories and the core's secrets",
		Long: `Prepare a first run: create a commented Codex skeleton
(~/.config/lychd/lychd.toml, soulstones/, portals/), every host directory the
core's containers mount (in the Crypt, ~/.local/share/lychd: lab, core,
extensions, triggers/inbox, triggers/journal, phylactery and oculus; Podman
refuses to start a container whose bind-mount source is missing) and the core's Podman secrets (lychd-phylactery-password,
lychd-vessel-secret-key) from random values, which are never printed.

Nothing that exists is changed: existing files, directories and secrets are
kept and reported. Running init again does nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print what init would create, and create nothing")
	return cmd
}

// Run prepares the Sepulcher.
func Run(ctx context.Context, opts *Options) error {
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	r := &report{opts: opts, done: map[string]bool{}}
	r.skeleton(p)
	dirs, outside, warn := mountedDirs(p)
	if warn != "" {
		r.warn(warn)
	}
	for _, d := range dirs {
		r.dir(d)
	}
	for _, d := range outside {
		if _, err := os.Stat(d); errors.Is(err, fs.ErrNotExist) {
			r.warn(fmt.Sprintf("%s does not exist; the Vessel mounts it (library_sources of [core.vessel]) and will not start without it: create it, or remove it from lychd.toml", d))
		}
	}
	if r.err == nil {
		r.secrets(ctx)
	}
	return r.err
}

// report performs the steps and prints one line for each.
type report struct {
	opts *Options
	err  error
	// done are the directories reported already.
	done map[string]bool
}

func (r *report) line(verb, what string) {
	if r.opts.DryRun && verb == "created" {
		verb = "would create"
	}
	fmt.Fprintf(r.opts.IO.Out, "%-12s %s\n", verb, what)
}

func (r *report) warn(s string) { fmt.Fprintln(r.opts.IO.ErrOut, "lychd: warning: "+s) }

func (r *report) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// dir creates directory d (and its parents), private to the user.
func (r *report) dir(d string) {
	if r.err != nil || r.done[d] {
		return
	}
	r.done[d] = true
	fi, err := os.Stat(d)
	switch {
	case err == nil && fi.IsDir():
		r.line("kept", d+"/")
		return
	case err == nil:
		r.fail(fmt.Errorf("init: %s exists and is not a directory; move it away and run lychd init again", d))
		return
	case !errors.Is(err, fs.ErrNotExist):
		r.fail(fmt.Errorf("init: %w", err))
		return
	}
	if !r.opts.DryRun {
		if err := os.MkdirAll(d, 0o700); err != nil {
			r.fail(fmt.Errorf("init: %w", err))
			return
		}
	}
	r.line("created", d+"/")
}

// file creates file name with data unless something is there already.
func (r *report) file(name string, data []byte) {
	if r.err != nil {
		return
	}
	if _, err := os.Lstat(name); err == nil {
		r.line("kept", name)
		return
	} else if !errors.Is(err, fs.ErrNotExist) {
		r.fail(fmt.Errorf("init: %w", err))
		return
	}
	if !r.opts.DryRun {
		// O_EXCL: a file that appeared since the check is never replaced.
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			r.fail(fmt.Errorf("init: %w", err))
			return
		}
		_, werr := f.Write(data)
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			r.fail(fmt.Errorf("init: writing %s: %w", name, err))
			return
		}
	}
	r.line("created", name)
}

// skeleton creates the Codex: lychd.toml (comments only) and the
// soulstones and portals directories.
func (r *report) skeleton(p paths.Paths) {
	dir := p.CodexDir()
	r.dir(dir)
	if r.opts.DryRun {
		if _, err := os.Stat(dir); err != nil {
			// The directory would be created: so would everything in it.
			r.line("created", filepath.Join(dir, "lychd.toml"))
			r.dir(filepath.Join(dir, "soulstones"))
			r.dir(filepath.Join(dir, "portals"))
			return
		}
	}
	r.file(filepath.Join(dir, "lychd.toml"), []byte(Skeleton))
	r.dir(filepath.Join(dir, "soulstones"))
	r.dir(filepath.Join(dir, "portals"))
}

// mountedDirs returns the host directories the core's containers mount,
// with the [core] table of the Codex when it loads: inside lychd's own
// directories (created by init), and outside them (the user's library
// sources, only checked). warn explains a Codex that does not load.
func mountedDirs(p paths.Paths) (own, outside []string, warn string) {
	var cfg core.Config
	cx, err := codex.Load(p.CodexDir())
	switch {
	case err != nil:
		warn = "the Codex does not load (lychd bind shows why); init creates the directories of the core's defaults"
	case cx.Core != nil:
		if err := json.Unmarshal(cx.Core, &cfg); err != nil {
			warn = fmt.Sprintf("the [core] table of lychd.toml: %v; init creates the directories of the core's defaults", err)
			cfg = core.Config{}
		}
	}
	runes, err := core.Runes(cfg)
	if err != nil {
		warn = fmt.Sprintf("%v; init creates the directories of the core's defaults", err)
		runes, _ = core.Runes(core.Config{})
	}
	ownRoots := []string{p.CodexDir(), filepath.Join(p.Home, ".local", "share", "lychd")}
	seen := map[string]bool{}
	for _, rn := range runes {
		for _, v := range rn.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if rest, ok := strings.CutPrefix(src, "%h/"); ok {
				src = filepath.Join(p.Home, rest)
			}
			if !filepath.IsAbs(src) || seen[src] {
				continue // a named volume: Podman creates it
			}
			seen[src] = true
			if under(src, ownRoots) {
				own = append(own, src)
			} else {
				outside = append(outside, src)
			}
		}
	}
	return own, outside, warn
}

func under(p string, roots []string) bool {
	for _, r := range roots {
		if p == r || strings.HasPrefix(p, r+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// secretBytes is the entropy of each secret init creates.
const secretBytes = 32

// secrets creates each of the core's secrets Podman does not have, from a
// random value that only podman's standard input sees.
func (r *report) secrets(ctx context.Context) {
	store, err := r.opts.Secrets()
	if errors.Is(err, podman.ErrNoPodman) {
		r.fail(fmt.Errorf("init: podman is not on $PATH: the core's secrets (%s) were not created; install Podman and run lychd init again", strings.Join(core.Secrets(), ", ")))
		return
	}
	if err != nil {
		r.fail(fmt.Errorf("init: %w", err))
		return
	}
	for _, name := range core.Secrets() {
		ok, err := store.Exists(ctx, name)
		if err != nil {
			r.fail(fmt.Errorf("init: %w", err))
			return
		}
		if ok {
			r.line("kept", "Podman secret "+name)
			continue
		}
		if !r.opts.DryRun {
			raw := make([]byte, secretBytes)
			if _, err := rand.Read(raw); err != nil {
				r.fail(fmt.Errorf("init: reading random bytes for secret %s: %w", name, err))
				return
			}
			value := []byte(base64.RawURLEncoding.EncodeToString(raw))
			if err := store.Create(ctx, name, bytes.NewReader(value)); err != nil {
				r.fail(fmt.Errorf("init: %w", err))
				return
			}
		}
		r.line("created", "Podman secret "+name+" (a random value)")
	}
}
