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
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/paths"
)

// Options are the inputs of `lychd extension install`.
type Options struct {
	IO     cmdutil.IOStreams
	Paths  func() (paths.Paths, error)
	Source string
	// StartTimeout bounds the probe launch.
	StartTimeout time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// NewCmd returns the install command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, StartTimeout: host.DefaultStartTimeout}
	cmd := &cobra.Command{
		Use:   "install PATH",
		Short: "Install or upgrade an extension from its binary",
		Long: "Copy the extension binary at PATH into lychd's extensions directory, launch it once to\n" +
			"ask its name, version and protocol, and record its sha256 in extensions.lock.json.\n" +
			"Installing an extension that is already installed upgrades it. Binaries that are group-\n" +
			"or world-writable are refused.",
		Args: cmdutil.ExactArgs(1, "install takes exactly one argument, the path of the extension binary"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Source = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
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
	res, err := host.Install(ctx, host.InstallOptions{
		Dir:          p.ExtensionsDir(),
		CacheDir:     p.CacheDir(),
		Source:       opts.Source,
		StartTimeout: opts.StartTimeout,
		Now:          opts.Now,
	})
	if err != nil {
		return err
	}
	e := res.Entry
	switch prev := res.Previous; {
	case prev == nil:
		fmt.Fprintf(opts.IO.Out, "Installed extension %s %s (protocol %d, sha256 %s)\n", res.Name, e.Version, e.Protocol, e.SHA256)
	case prev.SHA256 == e.SHA256:
		fmt.Fprintf(opts.IO.Out, "Reinstalled extension %s %s (unchanged, sha256 %s)\n", res.Name, e.Version, e.SHA256)
	default:
		fmt.Fprintf(opts.IO.Out, "Upgraded extension %s %s -> %s (protocol %d, sha256 %s)\n", res.Name, prev.Version, e.Version, e.Protocol, e.SHA256)
	}
	fmt.Fprintf(opts.IO.Out, "  binary: %s\n  run \"lychd bind\" to assimilate it\n", res.Path)
	return nil
}
