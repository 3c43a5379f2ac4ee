// Package stop implements `lychd stop NAME...`: stop covens, soulstones or
// core runes of the bound Sepulcher through the user's systemd manager and
// report every job.
package stop

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/systemd"
)

// Options are the inputs of `lychd stop`.
type Options struct {
	IO    cmdutil.IOStreams
	Names []string
	// Paths locates the bound generation.
	Paths func() (paths.Paths, error)
	// Manager connects to the systemd user manager.
	Manager func(ctx context.Context) (systemd.Manager, error)
}

// NewCmd returns the stop command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, Manager: f.Manager}
	return &cobra.Command{
		Use:   "stop NAME...",
		Short: "Stop covens or soulstones",
		Long: `Stop each NAME of the bound Sepulcher: a coven with two or more members
stops its target lychd-coven-NAME.target (and with it every member), a
soulstone (or a coven of one) its service lychd-soulstone-NAME.service, a core
rune its service lychd-NAME.service.`,
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
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	rec, _, err := bound.Load(p.CurrentGeneration())
	if err != nil {
		return err
	}
	targets, err := rec.ResolveAll(opts.Names)
	if err != nil {
		return err
	}
	m, err := opts.Manager(ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	var units []string
	for _, t := range targets {
		if u, ok := rec.Unit(t.Unit); ok && u.Kind == bound.KindOneShot {
			// A one-shot that is not running has nothing to stop, and a
			// stop job would also stop every running unit that requires
			// it (Requires=): stopping the finished migrate would stop
			// the Vessel. A running one is stopped, and with it the start
			// that waits for it.
			su, err := m.ReadUnit(ctx, t.Unit)
			if err != nil {
				return err
			}
			if su.ActiveState != "active" && su.ActiveState != "activating" {
				fmt.Fprintf(opts.IO.Out, "%s is a one-shot that is not running (%s/%s); nothing to stop\n", t.Unit, su.ActiveState, su.SubState)
				continue
			}
		}
		units = append(units, t.Unit)
	}
	if len(units) == 0 {
		return nil
	}
	jobs, err := m.Stop(ctx, units, func(j systemd.Job) {
		if !systemd.Noise(j) {
			fmt.Fprintln(opts.IO.Out, systemd.JobLine(j))
		}
	})
	return systemd.Outcome("stop", jobs, err)
}
