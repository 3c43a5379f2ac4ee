// Package start implements `lychd start NAME...`: start covens, soulstones
// or core runes of the bound Sepulcher through the user's systemd manager,
// refusing names that conflict with each other before asking systemd, and
// reporting every job of the transaction (including the stops of
// conflicting units systemd performs).
package start

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/journal"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/systemd"
)

// Options are the inputs of `lychd start`.
type Options struct {
	IO    cmdutil.IOStreams
	Names []string
	// NoWait returns once systemd has queued the jobs, without waiting for
	// them.
	NoWait bool
	// Paths locates the bound generation.
	Paths func() (paths.Paths, error)
	// Manager connects to the systemd user manager.
	Manager func(ctx context.Context) (systemd.Manager, error)
	// Journal returns a unit's last n journal lines (journal.Tail).
	Journal func(ctx context.Context, unit string, n int) (string, error)
}

// NewCmd returns the start command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, Manager: f.Manager, Journal: journal.Tail}
	cmd := &cobra.Command{
		Use:   "start NAME...",
		Short: "Start covens or soulstones, stopping whatever conflicts with them",
		Long: `Start each NAME of the bound Sepulcher: a coven with two or more members
starts its target lychd-coven-NAME.target, a soulstone (or a coven of one) its
service lychd-soulstone-NAME.service, a core rune its service lychd-NAME.service.
Names that may not run together are refused before anything changes. systemd
stops the running units that conflict with the new ones first; every stop and
start is reported. Failed units among them are reset first (like systemctl
reset-failed), so that fast swaps are not refused by systemd's start rate
limit.

lychd start waits until every start job is done: for a soulstone with a
health check, until the check passes (systemd's start job of a unit with
Quadlet's Notify=healthy completes only then), so that "started" means
"ready". With --no-wait it returns as soon as systemd has queued the jobs;
follow them with lychd status.`,
		Args: cmdutil.MinimumArgs(1, "name at least one coven or soulstone to start"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.NoWait, "no-wait", false, "return once systemd has queued the jobs, without waiting for them")
	return cmd
}

// Run starts opts.Names.
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
	g, err := rec.Graph()
	if err != nil {
		return err
	}
	if a, b, why, ok := bound.Conflict(g, targets); ok {
		return fmt.Errorf("refusing to start %s and %s together: they conflict (%s; list their covens in one alliance in lychd.toml to run them together)", a, b, why)
	}
	m, err := opts.Manager(ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	var units, reset []string
	for _, t := range targets {
		units = append(units, t.Unit)
		reset = append(reset, t.Unit)
		for _, s := range t.Soulstones {
			if u := rec.SoulstoneUnit(s); u != t.Unit {
				reset = append(reset, u)
			}
		}
	}
	// An explicit start must not be refused because earlier swaps used up
	// systemd's start rate limit (5 starts in 10 s by default); crash loops
	// of Restart= stay limited. Only the units this start starts are reset.
	if err := m.ResetFailed(ctx, reset...); err != nil {
		return err
	}
	report := func(j systemd.Job) {
		if systemd.Noise(j) {
			return
		}
		line := systemd.JobLine(j)
		if j.Result == "" && j.Type == "stop" && !j.Requested {
			if causes := conflictingWith(rec, g, j.Unit, targets); len(causes) > 0 {
				line += " (conflicts with " + strings.Join(causes, ", ") + ")"
			}
		}
		fmt.Fprintln(opts.IO.Out, line)
	}
	if opts.NoWait {
		jobs, err := m.Enqueue(ctx, units)
		for _, j := range jobs {
			report(j)
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(opts.IO.Out, "queued; lychd did not wait for the jobs (follow them with: lychd status)")
		return nil
	}
	jobs, err := m.Start(ctx, units, report)
	if err := systemd.Outcome("start", jobs, err); err != nil {
		return explain(ctx, opts, m, rec, jobs, err)
	}
	return nil
}

// journalLines is how many of a failed unit's last journal lines a failed
// start shows.
const journalLines = 10

// explain adds to a failed start's error, for each service whose start
// failed, why when systemd says (its start timeout), and its last journal
// lines.
func explain(ctx context.Context, opts *Options, m systemd.Manager, rec *bound.Record, jobs []systemd.Job, err error) error {
	var b strings.Builder
	b.WriteString(err.Error())
	for _, j := range jobs {
		if j.Type != "start" || !strings.HasSuffix(j.Unit, ".service") ||
			(j.Result != systemd.ResultFailed && j.Result != systemd.ResultTimeout && j.Result != systemd.ResultRestarted) {
			continue
		}
		u, rerr := m.ReadUnit(ctx, j.Unit)
		limit := "its start timeout"
		if rerr == nil && u.TimeoutStart > 0 {
			limit = fmt.Sprintf("its start timeout of %s (start_timeout_seconds)", seconds(u.TimeoutStart))
		}
		stop := ""
		if names := rec.Soulstones(j.Unit); len(names) == 1 {
			stop = " (lychd stop " + names[0] + ")"
		}
		// Restart= restarts a failed service: either systemd kept the
		// start job queued meanwhile (ResultRestarted) or it failed the job
		// and restarts the unit (activating: auto-restart, then start).
		restarting := j.Result == systemd.ResultRestarted || (rerr == nil && u.ActiveState == "activating")
		switch {
		case j.Result == systemd.ResultRestarted:
			fmt.Fprintf(&b, "\n%s was not ready within %s, or exited before", j.Unit, limit)
		case j.Result == systemd.ResultTimeout || (rerr == nil && u.Result == "timeout"):
			fmt.Fprintf(&b, "\n%s was not ready within %s", j.Unit, limit)
		default:
			fmt.Fprintf(&b, "\n%s failed to start", j.Unit)
		}
		if restarting {
			fmt.Fprintf(&b, "; systemd restarts it until it is stopped%s", stop)
		}
		lines, jerr := opts.Journal(ctx, j.Unit, journalLines)
		switch {
		case jerr != nil:
			fmt.Fprintf(&b, "; its journal could not be read: %v", jerr)
		case lines == "":
			b.WriteString("; its journal has no lines for it")
		default:
			fmt.Fprintf(&b, "; its last journal lines:\n%s", indent(lines))
		}
	}
	return errors.New(b.String())
}

// seconds renders d as "120 s" (whole seconds) or Go's form.
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return d.String()
}

// indent prefixes every line of s with two spaces.
func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// conflictingWith names the units among targets whose soulstones cannot run
// with one that unit covers: why systemd stops unit.
func conflictingWith(rec *bound.Record, g interface{ Compatible(a, b string) bool }, unit string, targets []bound.Target) []string {
	var out []string
	for _, t := range targets {
		hostile := false
		for _, s := range rec.Soulstones(unit) {
			for _, x := range t.Soulstones {
				hostile = hostile || !g.Compatible(s, x)
			}
		}
		if hostile {
			out = append(out, t.Unit)
		}
	}
	return out
}
