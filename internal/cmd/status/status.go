// Package status implements `lychd status [--json]`: the state of every lychd
// unit (pod, core services, coven targets, soulstones) as the user's systemd
// manager sees it, which covens are active, and whether a daemon-reload is
// pending.
package status

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmd/start"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/installed"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/systemd"
)

// SchemaVersion is the version of the --json output. Fields are only ever
// added within a version.
const SchemaVersion = 1

// Coven is a coven and its soulstone services.
type Coven struct {
	Name string
	// Members are soulstone unit names.
	Members []string
	// HasTarget is true for covens of two or more members, which have
	// lychd-coven-NAME.target.
	HasTarget bool
}

// Options are the inputs of `lychd status`.
type Options struct {
	IO   cmdutil.IOStreams
	JSON bool
	// Manager connects to the systemd user manager.
	Manager func(ctx context.Context) (systemd.Manager, error)
	// Covens returns the covens from the compiled covenant (NewCmd loads the
	// Codex and extensions). When nil or failing (with a warning), they are
	// derived from the units: targets and their members, and any other
	// soulstone as a coven of one named after it.
	Covens func(ctx context.Context) ([]Coven, error)
	// Location renders times for humans; nil is time.Local.
	Location *time.Location
	// Paths locates the unit files, to tell whether a daemon-reload is
	// pending; nil relies on what systemd reports of the units it keeps
	// loaded.
	Paths func() (paths.Paths, error)
}

// Report is the --json output.
type Report struct {
	SchemaVersion int `json:"schema_version"`
	// Units are sorted by kind (pod, core, coven, hold, soulstone, other), then
	// name.
	Units []UnitStatus `json:"units"`
	// ActiveCovens are the covens whose members are all active, sorted.
	ActiveCovens []string `json:"active_covens"`
	// NeedDaemonReload is true when any unit changed on disk since the last
	// daemon-reload.
	NeedDaemonReload bool `json:"need_daemon_reload"`
	// ChangedOnDisk are the units whose files (unit file or Quadlet source)
	// were written after systemd last loaded its units, sorted, including
	// units systemd does not know yet.
	ChangedOnDisk []string `json:"changed_on_disk"`
	// RemovedOnDisk is true when lychd unit files were removed after
	// systemd last loaded its units.
	RemovedOnDisk bool `json:"removed_on_disk"`
}

// Unit kinds in a Report.
const (
	KindPod   = "pod"
	KindCore  = "core"
	KindCoven = "coven"
	// KindHold is a hold target lychd bind generates for soulstones with
	// the same covens: active while one of them runs.
	KindHold      = "hold"
	KindSoulstone = "soulstone"
	KindOther     = "other"
)

// UnitStatus is one unit in a Report.
type UnitStatus struct {
	Unit string `json:"unit"`
	// Kind is one of the Kind constants.
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
}

// NewCmd returns the status command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{
		IO:      f.IO,
		Manager: f.Manager,
		Paths:   f.Paths,
	}
	if f.Assimilate != nil && f.Paths != nil {
		opts.Covens = func(ctx context.Context) ([]Coven, error) {
			g, err := start.LoadCovenant(ctx, f)
			if err != nil {
				return nil, err
			}
			return FromCovenant(g), nil
		}
	}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the state of every lychd unit and which covens are active",
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
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := opts.Manager(ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	// lychd's own files say which units exist, so that systemd need not
	// scan its unit directories; without paths, it does.
	var known []string
	var p *paths.Paths
	var ix *installed.Index
	if opts.Paths != nil {
		pp, err := opts.Paths()
		if err != nil {
			return err
		}
		p = &pp
		if ix, err = installed.Load(pp); err != nil {
			return err
		}
		known = ix.Units()
	}
	units, err := m.ListUnits(ctx, known, systemd.UnitPattern)
	if err != nil {
		return err
	}
	// The pod's published ports are shown even while it is stopped.
	if err := readInactive(ctx, m, units, func(u systemd.Unit) bool { return u.Name == systemd.PodUnit }); err != nil {
		return err
	}
	var covens []Coven
	if opts.Covens != nil {
		if covens, err = opts.Covens(ctx); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "warning: covens are guessed from the unit names: the Codex could not be read: %v\n", err)
			covens = nil
		}
	}
	if covens == nil {
		if err := readCovenTargets(ctx, m, ix, units); err != nil {
			return err
		}
		covens = DeriveCovens(units)
	}
	rep := Build(units, covens)
	if p != nil {
		loaded, err := m.LastLoad(ctx)
		if err != nil {
			return err
		}
		ch, err := installed.ChangedSince(*p, loaded)
		if err != nil {
			return err
		}
		rep.AddPending(ch)
	}
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

// readCovenTargets fills in the members (Wants=) of the inactive coven
// targets, which ListUnits leaves with their states only: from the target
// files lychd wrote when ix knows them, else over D-Bus, one graph load per
// target.
func readCovenTargets(ctx context.Context, m systemd.Manager, ix *installed.Index, units []systemd.Unit) error {
	fromFile := map[string]bool{}
	for i, u := range units {
		if ix == nil || Kind(u.Name) != KindCoven || systemd.Resident(u) {
			continue
		}
		if wants, err := ix.Wants(u.Name); err == nil {
			units[i].Wants = wants
			fromFile[u.Name] = true
		}
	}
	return readInactive(ctx, m, units, func(u systemd.Unit) bool { return Kind(u.Name) == KindCoven && !fromFile[u.Name] })
}

// DeriveCovens reads the covens from the units: every coven target with its
// members (PartOf= or Wants=), and every soulstone in no target as a coven
// of one named after it.
func DeriveCovens(units []systemd.Unit) []Coven {
	var covens []Coven
	inTarget := map[string]bool{}
	for _, u := range units {
		name, ok := trim(u.Name, systemd.CovenPrefix, systemd.CovenSuffix)
		if !ok {
			continue
		}
		c := Coven{Name: name, HasTarget: true}
		seen := map[string]bool{}
		for _, m := range append(append([]string(nil), u.ConsistsOf...), u.Wants...) {
			if strings.HasPrefix(m, systemd.SoulstonePrefix) && !seen[m] {
				seen[m] = true
				inTarget[m] = true
				c.Members = append(c.Members, m)
			}
		}
		sort.Strings(c.Members)
		covens = append(covens, c)
	}
	for _, u := range units {
		if name, ok := trim(u.Name, systemd.SoulstonePrefix, systemd.ServiceSuffix); ok && !inTarget[u.Name] {
			covens = append(covens, Coven{Name: name, Members: []string{u.Name}})
		}
	}
	sort.Slice(covens, func(i, j int) bool { return covens[i].Name < covens[j].Name })
	return covens
}

func trim(s, prefix, suffix string) (string, bool) {
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) || len(s) <= len(prefix)+len(suffix) {
		return "", false
	}
	return s[len(prefix) : len(s)-len(suffix)], true
}

// Kind classifies a lychd unit by its name.
func Kind(unit string) string {
	switch {
	case unit == systemd.PodUnit:
		return KindPod
	case strings.HasPrefix(unit, systemd.CovenPrefix) && strings.HasSuffix(unit, systemd.CovenSuffix):
		return KindCoven
	case strings.HasPrefix(unit, systemd.SoulstonePrefix) && strings.HasSuffix(unit, systemd.ServiceSuffix):
		return KindSoulstone
	case strings.HasPrefix(unit, "lychd-hold-") && strings.HasSuffix(unit, ".target"):
		return KindHold
	case strings.HasPrefix(unit, "lychd-") && strings.HasSuffix(unit, systemd.ServiceSuffix):
		return KindCore
	}
	return KindOther
}

func kindRank(kind string) int {
	for i, k := range []string{KindPod, KindCore, KindCoven, KindHold, KindSoulstone} {
		if k == kind {
			return i
		}
	}
	return 5
}

// Build assembles the report.
func Build(units []systemd.Unit, covens []Coven) Report {
	covensOf := map[string][]string{}
	for _, c := range covens {
		if c.HasTarget {
			covensOf[systemd.CovenUnit(c.Name)] = append(covensOf[systemd.CovenUnit(c.Name)], c.Name)
		}
		for _, m := range c.Members {
			covensOf[m] = append(covensOf[m], c.Name)
		}
	}
	state := map[string]string{}
	rep := Report{SchemaVersion: SchemaVersion, Units: []UnitStatus{}, ActiveCovens: []string{}, ChangedOnDisk: []string{}}
	for _, u := range units {
		state[u.Name] = u.ActiveState
		s := UnitStatus{
			Unit:             u.Name,
			Kind:             Kind(u.Name),
			Covens:           append([]string{}, covensOf[u.Name]...),
			LoadState:        u.LoadState,
			ActiveState:      u.ActiveState,
			SubState:         u.SubState,
			PublishedPorts:   append([]string{}, u.PublishedPorts...),
			NeedDaemonReload: u.NeedDaemonReload,
		}
		sort.Strings(s.Covens)
		since := u.InactiveEnterTimestamp
		if u.ActiveState == "active" || u.ActiveState == "reloading" || u.ActiveState == "deactivating" {
			since = u.ActiveEnterTimestamp
		}
		if !since.IsZero() {
			t := since.UTC()
			s.Since = &t
		}
		rep.NeedDaemonReload = rep.NeedDaemonReload || u.NeedDaemonReload
		rep.Units = append(rep.Units, s)
	}
	sort.Slice(rep.Units, func(i, j int) bool {
		a, b := rep.Units[i], rep.Units[j]
		if kindRank(a.Kind) != kindRank(b.Kind) {
			return kindRank(a.Kind) < kindRank(b.Kind)
		}
		return a.Unit < b.Unit
	})
	// A coven is active when every member runs. Its target says nothing:
	// lychd bind gives targets no Conflicts=, so a target stays active while
	// a hostile soulstone displaces its members.
	for _, c := range covens {
		active := len(c.Members) > 0
		for _, m := range c.Members {
			active = active && state[m] == "active"
		}
		if active {
			rep.ActiveCovens = append(rep.ActiveCovens, c.Name)
		}
	}
	sort.Strings(rep.ActiveCovens)
	return rep
}

// AddPending marks the units whose files changed on disk after systemd
// last loaded them (ListUnits reports NeedDaemonReload only for the units
// systemd keeps loaded).
func (rep *Report) AddPending(ch installed.Changes) {
	changed := map[string]bool{}
	for _, u := range ch.Units {
		changed[u] = true
	}
	for i := range rep.Units {
		if changed[rep.Units[i].Unit] {
			rep.Units[i].NeedDaemonReload = true
		}
	}
	rep.ChangedOnDisk = append([]string{}, ch.Units...)
	rep.RemovedOnDisk = ch.Removed
	rep.NeedDaemonReload = rep.NeedDaemonReload || ch.Any()
}

// maxStaleNames bounds the unit names the pending-reload line lists.
const maxStaleNames = 8

// WriteTable prints the report for humans.
func WriteTable(w io.Writer, rep Report, loc *time.Location) error {
	if len(rep.Units) == 0 {
		_, err := fmt.Fprintln(w, "no lychd units installed; run `lychd bind`")
		return err
	}
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Unit, u.Kind, orDash(strings.Join(u.Covens, ",")),
			state, since, orDash(strings.Join(u.PublishedPorts, ",")))
		if u.NeedDaemonReload {
			stale = append(stale, u.Unit)
		}
	}
	if err := tw.Flush(); err != nil {
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

// FromCovenant converts the compiled covenant's covens, with unit names for
// members.
func FromCovenant(g *covenant.Graph) []Coven {
	var out []Coven
	for _, c := range g.Covens() {
		cv := Coven{Name: c.Name, HasTarget: c.HasTarget}
		for _, m := range c.Members {
			cv.Members = append(cv.Members, systemd.SoulstoneUnit(m))
		}
		out = append(out, cv)
	}
	return out
}
