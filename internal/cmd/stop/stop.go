// Package stop implements `lychd stop NAME...`: stop covens or soulstones
// through the user's systemd manager and report every job.
package stop

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmd/start"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/systemd"
)

// Resolver maps the names a user types to units.
type Resolver interface {
	// Resolve returns the unit for a coven (its target) or a soulstone (its
	// service), and the soulstone services it covers.
	Resolve(name string) (unit string, members []string, err error)
}

// Options are the inputs of `lychd stop`.
type Options struct {
	IO    cmdutil.IOStreams
	Names []string
	// Manager connects to the systemd user manager.
	Manager func(ctx context.Context) (systemd.Manager, error)
	// Resolver builds the name resolver; nil uses the installed units only
	// (NewCmd sets start.DefaultResolver).
	Resolver func(ctx context.Context, m systemd.Manager) (Resolver, error)
}

// NewCmd returns the stop command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{
		IO:      f.IO,
		Manager: f.Manager,
		Resolver: func(ctx context.Context, m systemd.Manager) (Resolver, error) {
			return start.DefaultResolver(f)(ctx, m)
		},
	}
	return &cobra.Command{
		Use:   "stop NAME...",
		Short: "Stop covens or soulstones",
		Long: `Stop each NAME: a coven with two or more members stops its target
lychd-coven-NAME.target (and with it every member), anything else the
soulstone's service lychd-soulstone-NAME.service.`,
		Args: cmdutil.MinimumArgs(1, "name at least one coven or soulstone to stop"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

// Run stops opts.Names.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := opts.Manager(ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	var r Resolver
	if opts.Resolver != nil {
		r, err = opts.Resolver(ctx, m)
	} else {
		r, err = systemd.NewUnitResolver(ctx, m)
	}
	if err != nil {
		return err
	}
	var units []string
	seen := map[string]bool{}
	var errs []error
	for _, n := range opts.Names {
		u, _, err := r.Resolve(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !seen[u] {
			seen[u] = true
			units = append(units, u)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	jobs, err := m.Stop(ctx, units, func(j systemd.Job) {
		if systemd.Noise(j) {
			return
		}
		fmt.Fprintln(opts.IO.Out, systemd.JobLine(j))
	})
	if err != nil {
		return err
	}
	return start.Failed("stop", jobs)
}
