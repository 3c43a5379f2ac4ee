// Package status implements `lychd status [--json]`: which generation is
// bound and whether a bind is pending, the state of every unit it bound
// (pod, core services, coven and hold targets, soulstones) as the user's
// systemd manager sees it (with the health of soulstones that have a
// health check), which covens are active, and whether a daemon-reload is
// pending.
package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lychd/lychd/internal/unitname"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/systemd"
)

// SchemaVersion is the version of the --json output. Fields are only ever
// added within a version.
const SchemaVersion = 1

// Options are the inputs of `lychd status`.
type Options struct {
	IO   cmdutil.IOStreams
	JSON bool
	// Paths locates the bound generation and the Codex.
	Paths func() (paths.Paths, error)
	// Manager connects to the systemd user manager.
	Manager func(ctx context.Context) (systemd.Manager, error)
	// Location renders times for humans; nil is time.Local.
	Location *time.Location
	// Unhealthy returns the names of the containers Podman reports
	// unhealthy; it is asked only when a unit with a health check is
	// active.
	Unhealthy func(ctx context.Context) (map[string]bool, error)
}

// Report is the --json output.
type Report struct {
	SchemaVersion int `json:"schema_version"`
	// Bound says which generation is bound, since when, and whether the
	// Codex or the extensions changed since (null when nothing is bound).
	Bound *Bound `json:"bound"`
	// Units are sorted by kind (pod, core, coven, hold, soulstone, other),
	// then name.
	Units []UnitStatus `json:"units"`
	// ActiveCovens are the covens whose members are all active, sorted.
	ActiveCovens []string `json:"active_covens"`
	// NeedDaemonReload is true when any unit changed on disk since the last
	// daemon-reload.
	NeedDaemonReload bool `json:"need_daemon_reload"`
	// ChangedOnDisk are the units whose files were written after systemd
	// last loaded its units, sorted, including units systemd does not know
	// yet.
	ChangedOnDisk []string `json:"changed_on_disk"`
	// RemovedOnDisk is true when systemd still has lychd units loaded that
	// the bound generation no longer has.
	RemovedOnDisk bool `json:"removed_on_disk"`
	// Manager says why the systemd user manager could not be asked, when
	// it could not; the units' states are then StateUnknown.
	Manager string `json:"manager_unreachable,omitempty"`
}

// StateUnknown is every state of a unit when no user manager answers.
const StateUnknown = "unknown"

// Bound describes the bound generation.
type Bound struct {
	// Generation is the generation's directory name, e.g. "gen-7".
	Generation string `json:"generation"`
	// At is when lychd bind switched to it.
	At time.Time `json:"at"`
	// CodexChanged is true when the Codex differs from the one bound.
	CodexChanged bool `json:"codex_changed"`
	// ExtensionsChanged lists the extensions installed, removed or
	// upgraded since, sorted.
	ExtensionsChanged []string `json:"extensions_changed"`
}

// Pending reports whether a bind would bind something else.
func (b *Bound) Pending() bool { return b.CodexChanged || len(b.ExtensionsChanged) > 0 }

// Unit kinds in a Report: those of the bound record, and "other" for
// lychd-* units systemd has that lychd did not bind.
const KindOther = "other"

// UnitStatus is one unit in a Report.
type UnitStatus struct {
	Unit string `json:"unit"`
	// Kind is pod, core, oneshot, coven, hold, soulstone or other.
	Kind string `json:"kind"`
	// Covens the unit belongs to (a coven target: its own coven).
	Covens      []string `json:"covens"`
	LoadState   string   `json:"load_state"`
	ActiveState string   `json:"active_state"`
	SubState    string   `json:"sub_state"`
	// Since is when the unit entered its current state; null for inactive
	// units, which status does not read (each read of one makes systemd
	// load and unload the lychd graph; see systemd.Client.ListUnits), and
	// for units that never changed state.
	Since            *time.Time `json:"since"`
	PublishedPorts   []string   `json:"published_ports"`
	NeedDaemonReload bool       `json:"need_daemon_reload"`
	// Health is, for a unit whose container has a health check, "starting"
	// (its start job waits for the check to pass), "healthy", "unhealthy"
	// (it passed, then failed) or "unknown" (Podman could not be asked);
	// "" for other units and when the unit is not running or starting.
	Health string `json:"health"`
	// LastRun is, for an inactive one-shot, "done" when its last run
	// exited with status 0 (Since is then when it finished); "" for other
	// units and for a one-shot that has not run since systemd loaded it.
	// A failed run shows as ActiveState "failed".
	LastRun string `json:"last_run"`
}

// LastRunDone is UnitStatus.LastRun of a one-shot whose last run
// succeeded.
const LastRunDone = "done"

// NewCmd returns the status command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Manager: f.Manager, Paths: f.Paths, Unhealthy: podmanUnhealthy}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what is bound, the state of every lychd unit and which covens are active",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, fmt.Sprintf("print a JSON report (schema version %d)", SchemaVersion))
	return cmd
}

// Run prints the status.
func Run(ctx context.Context, opts *Options) error {
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	rec, at, err := bound.Load(p.CurrentGeneration())
	if errors.Is(err, bound.ErrNotBound) {
		return write(opts, Report{SchemaVersion: SchemaVersion, Units: []UnitStatus{}, ActiveCovens: []string{}, ChangedOnDisk: []string{}})
	}
	if err != nil {
		return err
	}
	m, err := opts.Manager(ctx)
	if errors.Is(err, systemd.ErrNoManager) {
		return unreachable(opts, p, rec, at, err)
	}
	if err != nil {
		return err
	}
	defer m.Close()
	units, err := m.ListUnits(ctx, rec.UnitNames(), unitname.Pattern)
	if err != nil {
		return err
	}
	// The pod's published ports are shown even while it is stopped, and
	// whether a one-shot's last run succeeded.
	oneShot := func(name string) bool { u, ok := rec.Unit(name); return ok && u.Kind == bound.KindOneShot }
	if err := readInactive(ctx, m, units, func(u systemd.Unit) bool { return u.Name == unitname.Pod || oneShot(u.Name) }); err != nil {
		return err
	}
	rep := Build(rec, units)
	if err := rep.health(ctx, units, opts.Unhealthy); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %v; the health of the running soulstones shows as %s\n", err, HealthUnknown)
	}
	loaded, err := m.LastLoad(ctx)
	if err != nil {
		return err
	}
	if err := rep.addPending(p, rec, loaded); err != nil {
		return err
	}
	if rep.Bound, err = boundInfo(p, rec, at); err != nil {
		return err
	}
	return write(opts, rep)
}

// unreachable reports what is bound when no user manager answers: every
// bound unit, its state unknown; and then fails with why.
func unreachable(opts *Options, p paths.Paths, rec *bound.Record, at time.Time, why error) error {
	units := make([]systemd.Unit, len(rec.Units))
	for i, u := range rec.Units {
		units[i] = systemd.Unit{Name: u.Name, LoadState: StateUnknown, ActiveState: StateUnknown, SubState: StateUnknown}
	}
	rep := Build(rec, units)
	rep.Manager = why.Error()
	var err error
	if rep.Bound, err = boundInfo(p, rec, at); err != nil {
		return err
	}
	if err := write(opts, rep); err != nil {
		return err
	}
	return fmt.Errorf("%w; the states above are unknown", why)
}

func write(opts *Options, rep Report) error {
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	return WriteTable(opts.IO.Out, rep, loc)
}

// boundInfo compares the Codex and the installed extensions with what
// rec says was bound.
func boundInfo(p paths.Paths, rec *bound.Record, at time.Time) (*Bound, error) {
	b := &Bound{At: at.UTC(), ExtensionsChanged: []string{}}
	if target, err := os.Readlink(p.CurrentGeneration()); err == nil {
		b.Generation = filepath.Base(target)
	}
	codexChanged, extensions, err := rec.Changed(p.CodexDir(), p.ExtensionsDir())
	if err != nil {
		return nil, err
	}
	b.CodexChanged = codexChanged
	b.ExtensionsChanged = append(b.ExtensionsChanged, extensions...)
	return b, nil
}

// readInactive reads every property of the loaded, inactive units that
// want selects, which ListUnits leaves with their states only; each such
// read makes systemd load the whole lychd graph, so only a few units are
// read this way.
func readInactive(ctx context.Context, m systemd.Manager, units []systemd.Unit, want func(systemd.Unit) bool) error {
	for i, u := range units {
		if u.LoadState != "loaded" || systemd.Resident(u) || !want(u) {
			continue
		}
		full, err := m.ReadUnit(ctx, u.Name)
		if err != nil {
			return err
		}
		units[i] = full
	}
	return nil
}

// Build assembles the report from the bound record and the units systemd
// reports.
func Build(rec *bound.Record, units []systemd.Unit) Report {
	state := map[string]string{}
	rep := Report{SchemaVersion: SchemaVersion, Units: []UnitStatus{}, ActiveCovens: []string{}, ChangedOnDisk: []string{}}
	for _, u := range units {
		state[u.Name] = u.ActiveState
		s := UnitStatus{
			Unit:             u.Name,
			Kind:             KindOther,
			Covens:           []string{},
			LoadState:        u.LoadState,
			ActiveState:      u.ActiveState,
			SubState:         u.SubState,
			PublishedPorts:   append([]string{}, u.PublishedPorts...),
			NeedDaemonReload: u.NeedDaemonReload,
		}
		if b, ok := rec.Unit(u.Name); ok {
			s.Kind = b.Kind
			s.Covens = append(s.Covens, b.Covens...)
		}
		since := u.InactiveEnterTimestamp
		if u.ActiveState == "active" || u.ActiveState == "reloading" || u.ActiveState == "deactivating" {
			since = u.ActiveEnterTimestamp
		}
		if !since.IsZero() {
			t := since.UTC()
			s.Since = &t
		}
		if s.Kind == bound.KindOneShot && u.ActiveState == "inactive" && u.Result == "success" && !u.InactiveEnterTimestamp.IsZero() {
			s.LastRun = LastRunDone
		}
		rep.NeedDaemonReload = rep.NeedDaemonReload || u.NeedDaemonReload
		rep.Units = append(rep.Units, s)
	}
	sort.Slice(rep.Units, func(i, j int) bool {
		a, b := rep.Units[i], rep.Units[j]
		if bound.KindRank(a.Kind) != bound.KindRank(b.Kind) {
			return bound.KindRank(a.Kind) < bound.KindRank(b.Kind)
		}
		return a.Unit < b.Unit
	})
	// A coven is active when every member runs. Its target says nothing:
	// lychd bind gives targets no Conflicts=, so a target stays active while
	// a hostile soulstone displaces its members.
	for _, c := range rec.Covens {
		active := len(c.Members) > 0
		for _, m := range c.Members {
			active = active && state[unitname.SoulstoneService(m)] == "active"
		}
		if active {
			rep.ActiveCovens = append(rep.ActiveCovens, c.Name)
		}
	}
	return rep
}

// addPending marks the units whose files in the bound generation were
// written after systemd last loaded its units (ListUnits reports
// NeedDaemonReload only for the units systemd keeps loaded), and notes
// lychd units systemd still has that the generation no longer has.
func (rep *Report) addPending(p paths.Paths, rec *bound.Record, loaded time.Time) error {
	changed := map[string]bool{}
	for _, u := range rec.Units {
		sub := bound.QuadletDir
		if strings.HasSuffix(u.File, ".target") {
			sub = bound.SystemdDir
		}
		fi, err := os.Stat(filepath.Join(p.CurrentGeneration(), sub, u.File))
		if err != nil {
			return fmt.Errorf("checking for a pending reload: %w", err)
		}
		if fi.ModTime().After(loaded) {
			changed[u.Name] = true
			rep.ChangedOnDisk = append(rep.ChangedOnDisk, u.Name)
		}
	}
	for i := range rep.Units {
		u := &rep.Units[i]
		if changed[u.Unit] {
			u.NeedDaemonReload = true
		}
		if u.Kind == KindOther && u.LoadState == "loaded" {
			rep.RemovedOnDisk = true
		}
	}
	rep.NeedDaemonReload = rep.NeedDaemonReload || len(rep.ChangedOnDisk) > 0 || rep.RemovedOnDisk
	return nil
}

// maxStaleNames bounds the unit names the pending-reload line lists.
const maxStaleNames = 8

// WriteTable prints the report for humans.
func WriteTable(w io.Writer, rep Report, loc *time.Location) error {
	if rep.Bound == nil {
		_, err := fmt.Fprintln(w, "nothing is bound yet; run `lychd bind`")
		return err
	}
	b := rep.Bound
	fmt.Fprintf(w, "bound: %s at %s\n", b.Generation, b.At.In(loc).Format("2006-01-02 15:04:05"))
	if b.Pending() {
		var what []string
		if b.CodexChanged {
			what = append(what, "the Codex")
		}
		if len(b.ExtensionsChanged) > 0 {
			what = append(what, "extension "+strings.Join(b.ExtensionsChanged, ", "))
		}
		fmt.Fprintf(w, "bind pending: %s changed since; run: lychd bind\n", strings.Join(what, " and "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "UNIT\tKIND\tCOVENS\tSTATE\tSINCE\tPORTS")
	var stale []string
	for _, u := range rep.Units {
		since := "-"
		if u.Since != nil {
			since = u.Since.In(loc).Format("2006-01-02 15:04:05")
		}
		state := u.ActiveState + "/" + u.SubState
		if u.LoadState != "loaded" {
			state = u.LoadState
		}
		if u.Health != "" {
			state += ", " + u.Health
		}
		if u.LastRun != "" {
			state += ", " + u.LastRun
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Unit, u.Kind, orDash(strings.Join(u.Covens, ",")),
			state, since, orDash(strings.Join(u.PublishedPorts, ",")))
		if u.NeedDaemonReload {
			stale = append(stale, u.Unit)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rep.Manager != "" {
		_, err := fmt.Fprintln(w, "\nactive covens: unknown (no systemd user manager answered)")
		return err
	}
	fmt.Fprintf(w, "\nactive covens: %s\n", orNone(strings.Join(rep.ActiveCovens, ", ")))
	if rep.NeedDaemonReload {
		seen := map[string]bool{}
		for _, u := range stale {
			seen[u] = true
		}
		for _, u := range rep.ChangedOnDisk {
			if !seen[u] {
				stale = append(stale, u)
			}
		}
		what := "lychd units were removed"
		if len(stale) > 0 {
			what = strings.Join(stale[:min(len(stale), maxStaleNames)], ", ")
			if len(stale) > maxStaleNames {
				what += fmt.Sprintf(" and %d more", len(stale)-maxStaleNames)
			}
			what += " changed"
		}
		fmt.Fprintf(w, "daemon-reload pending: %s on disk; run: systemctl --user daemon-reload\n", what)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
