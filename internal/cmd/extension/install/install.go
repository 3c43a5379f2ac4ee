// Package install implements `lychd extension install PATH`: copy an
// extension binary into the extensions directory, probe it for its name,
// version and protocol, and record its sha256 in the lock file. Installing
// an installed extension again upgrades it.
package install

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/host/lockfile"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/paths"
)

// Options are the inputs of `lychd extension install`.
type Options struct {
	IO     cmdutil.IOStreams
	Paths  func() (paths.Paths, error)
	Source string
	// Force replaces an extension of the same name installed from
	// another path without asking.
	Force bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// NewCmd returns the install command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths}
	cmd := &cobra.Command{
		Use:   "install PATH",
		Short: "Install or upgrade an extension from its binary",
		Long: "Copy the extension binary at PATH into lychd's extensions directory, launch it once to\n" +
			"ask its name, version and protocol, and record its sha256 in extensions.lock.json.\n" +
			"Installing an extension that is already installed upgrades it; replacing one installed\n" +
			"from another path asks first (or needs --force when not on a terminal). Binaries that\n" +
			"are group- or world-writable are refused. The launch is bounded by start_timeout_seconds\n" +
			"of the [assimilation] table of lychd.toml.",
		Args: cmdutil.ExactArgs(1, "install takes exactly one argument, the path of the extension binary"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Source = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace an extension of the same name installed from another path without asking")
	return cmd
}

// Run installs the extension.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	// The launch is bounded like any other: by the Codex's setting when
	// the Codex can be read (a broken Codex must not keep an extension
	// from being installed), else by the default.
	timeout := codex.DefaultAssimilation().StartTimeout
	if cx, err := codex.Load(p.CodexDir()); err == nil {
		timeout = cx.Assimilation.StartTimeout
	}
	res, err := host.Install(ctx, host.InstallOptions{
		Dir:          p.ExtensionsDir(),
		CacheDir:     p.CacheDir(),
		ProcessDir:   p.ProcessDir(),
		Source:       opts.Source,
		StartTimeout: timeout,
		Now:          opts.Now,
		Replace: func(name string, prev, next lockfile.Entry) (bool, error) {
			if opts.Force {
				return true, nil
			}
			if !opts.IO.CanPrompt {
				return false, nil
			}
			return opts.IO.Confirm(fmt.Sprintf("Extension %s %s is installed from %s. Replace it with %s %s from %s?", name, prev.Version, prev.Source, name, next.Version, next.Source))
		},
	})
	if err != nil {
		return err
	}
	e := res.Entry
	switch prev := res.Previous; {
	case prev == nil:
		fmt.Fprintf(opts.IO.Out, "Installed extension %s %s (protocol %d, sha256 %s)\n", res.Name, e.Version, e.Protocol, e.SHA256)
	case prev.Source != "" && prev.Source != e.Source:
		fmt.Fprintf(opts.IO.Out, "Replaced extension %s %s from %s with %s from %s (protocol %d, sha256 %s)\n", res.Name, prev.Version, prev.Source, e.Version, e.Source, e.Protocol, e.SHA256)
	case prev.SHA256 == e.SHA256:
		fmt.Fprintf(opts.IO.Out, "Reinstalled extension %s %s (unchanged, sha256 %s)\n", res.Name, e.Version, e.SHA256)
	default:
		fmt.Fprintf(opts.IO.Out, "Upgraded extension %s %s -> %s (protocol %d, sha256 %s)\n", res.Name, prev.Version, e.Version, e.Protocol, e.SHA256)
	}
	fmt.Fprintf(opts.IO.Out, "  binary: %s\n  run \"lychd bind\" to assimilate it\n", res.Path)
	return nil
}
