// Package start implements `lychd start NAME...`: start covens or soulstones
// through the user's systemd manager, refusing names that conflict with each
// other before asking systemd, and reporting every job of the transaction
// (including the stops of conflicting units systemd performs).
package start

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/systemd"
)

// Resolver maps the names a user types to units, from the compiled covenant
// or from the installed units (systemd.UnitResolver).
type Resolver interface {
	// Resolve returns the unit for a coven (its target, when the coven has
	// two or more members) or a soulstone (its service), and the soulstone
	// services it covers.
	Resolve(name string) (unit string, members []string, err error)
	// Conflict returns a pair of the names that may not run together.
	Conflict(names []string) (a, b string, ok bool)
}

// Explainer is optionally implemented by a Resolver to say why two names
// conflict.
type Explainer interface {
	WhyConflict(a, b string) string
}

// Blamer is optionally implemented by a Resolver to say which of the units
// being started make systemd stop unit.
type Blamer interface {
	ConflictingWith(unit string, starting []string) []string
}

// Options are the inputs of `lychd start`.
type Options struct {
	IO    cmdutil.IOStreams
	Names []string
	// Manager connects to the systemd user manager.
	Manager func(ctx context.Context) (systemd.Manager, error)
	// Resolver builds the name resolver; nil uses the installed units only
	// (NewCmd sets DefaultResolver).
	Resolver func(ctx context.Context, m systemd.Manager) (Resolver, error)
}

// NewCmd returns the start command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{
		IO:       f.IO,
		Manager:  f.Manager,
		Resolver: DefaultResolver(f),
	}
	cmd := &cobra.Command{
		Use:   "start NAME...",
		Short: "Start covens or soulstones, stopping whatever conflicts with them",
		Long: `Start each NAME: a coven with two or more members starts its target
lychd-coven-NAME.target, anything else the soulstone's service
lychd-soulstone-NAME.service. Names that may not run together are refused
before anything changes. systemd stops the running units that conflict with
the new ones first; every stop and start is reported. Failed lychd units
are reset first (like systemctl reset-failed), so that fast swaps are not
refused by systemd's start rate limit.`,
		Args: cmdutil.MinimumArgs(1, "name at least one coven or soulstone to start"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	return cmd
}

// Run starts opts.Names.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := opts.Manager(ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	r, err := resolver(ctx, opts.Resolver, m)
	if err != nil {
		return err
	}
	units, members, err := resolveAll(r, opts.Names)
	if err != nil {
		return err
	}
	a, b, conflict := r.Conflict(opts.Names)
	if e, ok := r.(interface{ Err() error }); ok && e.Err() != nil {
		return fmt.Errorf("checking %s for conflicts: %w", strings.Join(opts.Names, ", "), e.Err())
	}
	if conflict {
		why := "their covens are not allied"
		if e, ok := r.(Explainer); ok {
			if w := e.WhyConflict(a, b); w != "" {
				why = w
			}
		}
		return fmt.Errorf("refusing to start %s and %s together: they conflict (%s; list them in one alliance in lychd.toml to run them together)", a, b, why)
	}
	// An explicit start must not be refused because earlier swaps used up
	// systemd's start rate limit (5 starts in 10 s by default); crash loops
	// of Restart= stay limited. Only the units this start starts are reset:
	// with a large sepulcher loaded, resetting every inactive lychd unit
	// took ~0.3 s of D-Bus calls.
	if err := m.ResetFailed(ctx, append(append([]string(nil), units...), members...)...); err != nil {
		return err
	}
	blamer, _ := r.(Blamer)
	jobs, err := m.Start(ctx, units, func(j systemd.Job) {
		if systemd.Noise(j) {
			return
		}
		line := systemd.JobLine(j)
		if j.Result == "" && j.Type == "stop" && !j.Requested {
			causes := units
			if blamer != nil {
				causes = blamer.ConflictingWith(j.Unit, units)
			}
			if len(causes) > 0 {
				line += " (conflicts with " + strings.Join(causes, ", ") + ")"
			}
		}
		fmt.Fprintln(opts.IO.Out, line)
	})
	if err != nil {
		return err
	}
	return Failed("start", jobs)
}

func resolver(ctx context.Context, build func(context.Context, systemd.Manager) (Resolver, error), m systemd.Manager) (Resolver, error) {
	if build != nil {
		return build(ctx, m)
	}
	return systemd.NewUnitResolver(ctx, m)
}

// resolveAll resolves names to their units and the soulstone services those
// cover, each once, in order.
func resolveAll(r Resolver, names []string) (units, members []string, err error) {
	seen := map[string]bool{}
	var errs []error
	for _, n := range names {
		u, ms, err := r.Resolve(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !seen[u] {
			seen[u] = true
			units = append(units, u)
		}
		for _, m := range ms {
			if !seen[m] {
				seen[m] = true
				members = append(members, m)
			}
		}
	}
	return units, members, errors.Join(errs...)
}

// Failed returns an error naming every job that did not finish with "done"
// (skipped jobs count as done), or nil.
func Failed(verb string, jobs []systemd.Job) error {
	var bad []string
	for _, j := range jobs {
		if j.Result != systemd.ResultDone && j.Result != systemd.ResultSkipped {
			bad = append(bad, j.Unit)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s failed for %s; see: journalctl --user -u %s", verb, strings.Join(bad, ", "), strings.Join(bad, " -u "))
}
