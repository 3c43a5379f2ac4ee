// Package bind implements `lychd bind`: compile the Codex, the core and the
// installed extensions into Quadlet and systemd units and inscribe them
// atomically.
package bind

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/engine"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/podman"
	"github.com/lychd/lychd/internal/scribe"
	"github.com/lychd/lychd/internal/site"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/unitname"
	"github.com/lychd/lychd/sdk/validate"
)

// Options are the inputs of one bind.
type Options struct {
	IO       cmdutil.IOStreams
	Paths    func() (paths.Paths, error)
	DryRun   bool
	JSON     bool
	NoReload bool
	// Verbose prints what each extension wrote during its last launch
	// (its log lines, stderr and stdout) to ErrOut.
	Verbose bool
	// Assimilate runs the core and the extensions.
	Assimilate func(ctx context.Context, cx *codex.Codex) (*host.Result, error)
	// Reload asks the systemd user manager to reload its units. It returns
	// an error wrapping systemd.ErrNoManager when no manager is reachable.
	Reload func(ctx context.Context) error
	// Manager connects to the systemd user manager, to tell which changed
	// units are running; nil skips that.
	Manager func(ctx context.Context) (systemd.Manager, error)
	// Secrets is Podman's secret store: bind refuses units that name a
	// secret it does not have. It returns podman.ErrNoPodman when podman is
	// not installed (bind then warns that the secrets were not checked);
	// nil checks nothing.
	Secrets func() (podman.Secrets, error)
}

// NewCmd returns the bind command. runF replaces the run function in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, Assimilate: f.Assimilate, Reload: f.Reload, Manager: f.Manager, Secrets: f.Secrets}
	cmd := &cobra.Command{
		Use:   "bind",
		Short: "Inscribe the Codex and extensions as Quadlet and systemd units",
		Long: `Compile the Codex (~/.config/lychd), the core runes and every installed
extension into Podman Quadlet units (~/.config/containers/systemd/lychd/) and
coven targets (~/.config/systemd/user/), switch to them atomically and reload
the systemd user manager. A bind with no change writes nothing; it reloads
only when an earlier bind left a reload undone (--no-reload, or a failed
reload).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the files that would be created, updated or removed, with a diff, and change nothing")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	cmd.Flags().BoolVar(&opts.NoReload, "no-reload", false, "do not ask the systemd user manager to reload")
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "print what each extension wrote (log lines, stderr, stdout) during its last launch")
	return cmd
}

// Result is what a bind did, as printed by --json.
type Result struct {
	DryRun  bool     `json:"dry_run"`
	Changed bool     `json:"changed"`
	Files   int      `json:"files"`
	Changes []Change `json:"changes"`
	// Internal are changes to lychd's own files that change no unit:
	// a new record of what is bound, repaired links, removed leftovers.
	Internal []Change `json:"internal,omitempty"`
	// Watchers are the Grafana files (provisioning, dashboards) written
	// into or removed from the Crypt.
	Watchers []Change `json:"watchers,omitempty"`
	// Restart are the running services whose units this bind changed: they
	// run as they were until restarted.
	Restart []string `json:"restart,omitempty"`
	// Notes tell the user what to do next.
	Notes []string `json:"notes,omitempty"`
	// Reloaded is true when the user manager reloaded.
	Reloaded bool `json:"reloaded"`
	// ReloadHint is set when a reload was needed but not done.
	ReloadHint string   `json:"reload_hint,omitempty"`
	Extensions []string `json:"extensions"`
	// Engines are, with --dry-run, the soulstones that use an engine
	// preset, by name, with every value resolved and where it came from.
	Engines []Engine `json:"engines,omitempty"`
}

// Engine is what an engine preset filled for one soulstone.
type Engine struct {
	Soulstone string          `json:"soulstone"`
	Engine    string          `json:"engine"`
	Filled    []engine.Filled `json:"filled"`
}

// Change is one file operation.
type Change struct {
	Op   string `json:"op"`
	Path string `json:"path"`
	Diff string `json:"diff,omitempty"`
}

// Run performs the bind.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	s := site.New(p)
	cx, err := codex.Load(p.CodexDir())
	if err != nil {
		return fmt.Errorf("bind: nothing was written:\n%w", err)
	}
	// Extensions run as the user: one could write to the binding sites
	// while it is assimilated. Compare what the sites look like before and
	// after, and refuse to build on a site that changed under our feet.
	before, err := s.Snapshot()
	if err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	started := time.Now()
	res, err := opts.Assimilate(ctx, cx)
	if opts.Verbose {
		printLogs(opts.IO.ErrOut, p, res, started)
	}
	if err != nil {
		return fmt.Errorf("bind: nothing was written:\nassimilation failed: %w", err)
	}
	if res.Launched {
		if err := unchangedSince(s, before); err != nil {
			return err
		}
	}
	// Soulstones may name engines that only extensions define.
	var presets []codex.ExtensionPreset
	for _, p := range res.Presets {
		presets = append(presets, codex.ExtensionPreset{Name: p.Name, Preset: p.Preset, Source: p.Source.String()})
	}
	if err := cx.ResolveEngines(presets); err != nil {
		return fmt.Errorf("bind: nothing was written:\n%w", err)
	}
	m := cx.Manifest()
	m.Runes = append(append([]model.Rune(nil), res.Runes...), m.Runes...)
	m.Animators = append(append([]model.Animator(nil), res.Animators...), m.Animators...)
	out, err := scribe.Compile(&m)
	if err != nil {
		return fmt.Errorf("bind: nothing was written:\n%w", err)
	}
	w, err := watchersOf(&m, cx.Engines)
	if err != nil {
		return fmt.Errorf("bind: nothing was written: %w", err)
	}
	var config []site.File
	if w != nil {
		config = w.config
	}
	gen, err := Generation(p, &m, out, res, config)
	if err != nil {
		return fmt.Errorf("bind: nothing was written: %w", err)
	}
	warnings := append(shortNameWarnings(m.SortedRunes()), res.Warnings...)
	warnings = append(warnings, phylacteryWarnings(p, &m)...)
	if w != nil {
		warnings = append(warnings, w.warnings...)
	}
	if err := checkSecrets(ctx, opts.Secrets, &m, func(w string) { warnings = append(warnings, w) }); err != nil {
		return fmt.Errorf("bind: nothing was written: %w", err)
	}
	var plan site.Plan
	if opts.DryRun {
		plan, err = s.Plan(gen)
	} else {
		plan, err = s.Apply(ctx, gen)
	}
	if err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	var watcherChanges []Change
	if w != nil {
		// After the units: Grafana's files are the user's to edit and are
		// not part of the generation.
		changes, kept, err := installWatchers(p, w, opts.DryRun, displayHome(p.Home))
		if err != nil {
			return fmt.Errorf("bind: the units are bound, but %w", err)
		}
		watcherChanges = changes
		warnings = append(warnings, kept...)
		if crypt := filepath.Join(p.Home, ".local", "share", "lychd"); p.DataDir() != crypt {
			warnings = append(warnings, fmt.Sprintf("the Watchers' containers mount their files from %s, as every core rune does, but lychd's data directory is %s ($XDG_DATA_HOME): the Harvester will not find its configuration. Make %s a link to %s, or unset XDG_DATA_HOME", displayHome(p.Home)(crypt), displayHome(p.Home)(p.DataDir()), displayHome(p.Home)(crypt), displayHome(p.Home)(p.DataDir())))
		}
	}
	for _, w := range warnings {
		fmt.Fprintln(opts.IO.ErrOut, "lychd: warning: "+w)
	}
	r := Result{DryRun: opts.DryRun, Changed: len(plan.Changes) > 0, Files: len(gen.Quadlet) + len(gen.Systemd) + len(gen.Config), Changes: []Change{}, Extensions: extensionLines(res), Watchers: watcherChanges}
	if w != nil && !opts.DryRun && harvesterConfigChanged(p, plan) {
		r.Notes = append(r.Notes, "The Harvester's configuration changed; a running Harvester reads it when it restarts: systemctl --user restart "+unitname.AlwaysOnService(validate.CoreHarvester))
	}
	for _, c := range plan.Changes {
		ch := Change{Op: c.Op, Path: c.Path}
		if opts.DryRun {
			ch.Diff = c.Diff
		}
		r.Changes = append(r.Changes, ch)
	}
	for _, c := range plan.Internal {
		r.Internal = append(r.Internal, Change{Op: c.Op, Path: c.Path})
	}
	if opts.DryRun {
		for _, name := range slices.Sorted(maps.Keys(cx.Engines)) {
			res := cx.Engines[name]
			r.Engines = append(r.Engines, Engine{Soulstone: name, Engine: res.Engine, Filled: res.Filled})
		}
	}
	if !opts.DryRun {
		if err := settleReload(ctx, opts, p, &r); err != nil {
			return err
		}
		if r.Reloaded {
			r.Restart = runningChanged(ctx, opts, plan.Changes)
		}
		if len(r.Restart) > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("Still running as they were before this bind (a restart applies the new units; nothing else was restarted): %s\nRestart them with: systemctl --user restart %s",
				strings.Join(r.Restart, ", "), strings.Join(r.Restart, " ")))
		}
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	if opts.DryRun {
		printWatchers(opts.IO.Out, &r) // before "Dry run: nothing was written."
		printHuman(opts.IO.Out, opts.IO.ErrOut, &r)
		return nil
	}
	printHuman(opts.IO.Out, opts.IO.ErrOut, &r)
	printWatchers(opts.IO.Out, &r)
	return nil
}

// printWatchers lists the Grafana files a bind wrote into the Crypt or
// removed from it.
func printWatchers(out io.Writer, r *Result) {
	for _, n := range r.Notes {
		fmt.Fprintln(out, n)
	}
	if len(r.Watchers) == 0 {
		return
	}
	verb := "Wrote"
	if r.DryRun {
		verb = "Would write"
	}
	fmt.Fprintf(out, "%s the Watchers' files in the Crypt:\n", verb)
	for _, c := range r.Watchers {
		fmt.Fprintf(out, "  %-6s %s\n", c.Op, c.Path)
	}
}

// Generation is what a bind writes for manifest m: the unit files scribe
// compiled into out, the config files of lychd's own containers, and the
// record of what was bound, with the Codex under p and the extensions of
// res as its inputs.
func Generation(p paths.Paths, m *model.Manifest, out *scribe.Output, res *host.Result, configFiles []site.File) (site.Generation, error) {
	var gen site.Generation
	quadlet, systemd, config := map[string][]byte{}, map[string][]byte{}, map[string][]byte{}
	for _, f := range configFiles {
		gen.Config = append(gen.Config, f)
		config[f.Name] = f.Data
	}
	for _, f := range out.Quadlet {
		gen.Quadlet = append(gen.Quadlet, site.File{Name: f.Name, Data: f.Data})
		quadlet[f.Name] = f.Data
	}
	for _, f := range out.Systemd {
		gen.Systemd = append(gen.Systemd, site.File{Name: f.Name, Data: f.Data})
		systemd[f.Name] = f.Data
	}
	digest, err := bound.CodexDigest(p.CodexDir())
	if err != nil {
		return site.Generation{}, err
	}
	in := bound.Inputs{Codex: digest}
	for _, e := range res.Extensions {
		if e.Name != host.CoreName {
			in.Extensions = append(in.Extensions, bound.Extension{Name: e.Name, Version: e.Version, SHA256: e.SHA256})
		}
	}
	rec := bound.New(m, out.Graph, quadlet, systemd, config, out.Holds, in)
	if gen.Record, err = rec.Marshal(); err != nil {
		return site.Generation{}, err
	}
	return gen, nil
}

// extensionLines describes each assimilated extension in one line, e.g.
// "vision-organ 1.2.0 (launch 7ms, assimilation 2ms; 2 runes, 1
// animators)". The core, part of lychd, gets neither timings nor a cache
// note.
func extensionLines(res *host.Result) []string {
	out := []string{}
	for _, s := range res.Extensions {
		line := fmt.Sprintf("%s %s", s.Name, s.Version)
		var notes []string
		switch {
		case s.Name == host.CoreName:
		case s.Cached:
			notes = append(notes, "cached")
		default:
			notes = append(notes, fmt.Sprintf("launch %s, assimilation %s", s.Launch.Round(100_000), s.Assimilation.Round(100_000)))
		}
		notes = append(notes, fmt.Sprintf("%d runes, %d animators", s.Runes, s.Animators))
		out = append(out, line+" ("+strings.Join(notes, "; ")+")")
	}
	return out
}

// reloadPendingName is the file in lychd's data directory recording a
// reload lychd owes the systemd user manager: a bind that changed the units
// without reloading (--no-reload, or a reload that failed) writes it; a
// successful reload, or finding no manager at all (one that starts later
// reads the units as they are), removes it. A bind with no change reloads
// while it exists, so `lychd bind` always leaves systemd current.
const reloadPendingName = "daemon-reload-pending"

// settleReload reloads the user manager when this bind changed the units
// or an earlier one left a reload pending, and keeps the pending-reload
// record (reloadPendingName) in step.
func settleReload(ctx context.Context, opts *Options, p paths.Paths, res *Result) error {
	pending := filepath.Join(p.DataDir(), reloadPendingName)
	_, err := os.Lstat(pending)
	owed := res.Changed || err == nil
	if !owed {
		return nil
	}
	if opts.NoReload {
		if res.Changed {
			recordPending(opts, pending)
		}
		return nil
	}
	err = opts.Reload(ctx)
	switch {
	case err == nil:
		res.Reloaded = true
	case errors.Is(err, systemd.ErrNoManager):
		res.ReloadHint = fmt.Sprintf("%v; the new units are in place: run `systemctl --user daemon-reload` to load them", err)
	default:
		recordPending(opts, pending)
		return fmt.Errorf("bind: the units are in place, but reloading the systemd user manager failed: %w; run: systemctl --user daemon-reload (or lychd bind again)", err)
	}
	if err := os.Remove(pending); err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(opts.IO.ErrOut, "lychd: warning: could not clear the pending-reload record: %v\n", err)
	}
	return nil
}

// recordPending writes the pending-reload record; failing to is only a
// warning, since the units themselves are in place.
func recordPending(opts *Options, pending string) {
	err := os.MkdirAll(filepath.Dir(pending), 0o755)
	if err == nil {
		err = os.WriteFile(pending, []byte("a lychd bind changed the units without reloading the systemd user manager\n"), 0o644)
	}
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "lychd: warning: could not record that a reload is pending (%v); run `systemctl --user daemon-reload` to load the new units\n", err)
	}
}

// printEngines lists, per soulstone that uses an engine preset, every
// resolved value grouped by where it came from: the preset, the Sepulcher
// standard or the soulstone itself.
func printEngines(out io.Writer, r *Result) {
	if len(r.Engines) == 0 {
		return
	}
	fmt.Fprintln(out, "\nEngine presets:")
	for _, e := range r.Engines {
		head := "engine " + e.Engine
		var order []string
		byFrom := map[string][]string{}
		for _, f := range e.Filled {
			switch f.Key {
			case "engine":
				continue
			case "model":
				head += ", model " + f.Value
				continue
			}
			if _, seen := byFrom[f.From]; !seen {
				order = append(order, f.From)
			}
			byFrom[f.From] = append(byFrom[f.From], f.Key+" = "+f.Value)
		}
		fmt.Fprintf(out, "  %s (%s):\n", e.Soulstone, head)
		for _, from := range order {
			fmt.Fprintf(out, "    from %s:\n", from)
			for _, line := range byFrom[from] {
				fmt.Fprintf(out, "      %s\n", line)
			}
		}
	}
}

func printHuman(out, errOut io.Writer, r *Result) {
	if !r.Changed && len(r.Internal) > 0 {
		verb := "Updated"
		if r.DryRun {
			verb = "Would update"
		}
		fmt.Fprintf(out, "No unit changes: %d files are already bound. %s lychd's own files:\n", r.Files, verb)
		for _, c := range r.Internal {
			fmt.Fprintf(out, "  %-6s %s\n", c.Op, c.Path)
		}
		if r.DryRun {
			printEngines(out, r)
			fmt.Fprintln(out, "\nDry run: nothing was written.")
			return
		}
	}
	if !r.Changed {
		if len(r.Internal) == 0 {
			fmt.Fprintf(out, "Nothing to do: %d files are already bound.\n", r.Files)
			printEngines(out, r)
		}
		switch {
		case r.Reloaded:
			fmt.Fprintln(out, "Reloaded the systemd user manager, which an earlier bind had left to do.")
		case r.ReloadHint != "":
			fmt.Fprintln(errOut, "lychd: warning: "+r.ReloadHint)
		}
		return
	}
	counts := map[string]int{}
	for _, c := range r.Changes {
		counts[c.Op]++
	}
	verb := "Bound"
	if r.DryRun {
		verb = "Would bind"
	}
	fmt.Fprintf(out, "%s %d files: %d created, %d updated, %d removed.\n", verb, r.Files, counts["create"], counts["update"], counts["remove"])
	for _, c := range r.Changes {
		fmt.Fprintf(out, "  %-6s %s\n", c.Op, c.Path)
	}
	if r.DryRun {
		for _, c := range r.Changes {
			if c.Diff != "" {
				fmt.Fprint(out, "\n", strings.TrimRight(c.Diff, "\n"), "\n")
			}
		}
		printEngines(out, r)
		fmt.Fprintln(out, "\nDry run: nothing was written.")
		return
	}
	switch {
	case r.Reloaded:
		fmt.Fprintln(out, "Reloaded the systemd user manager.")
	case r.ReloadHint != "":
		fmt.Fprintln(errOut, "lychd: warning: "+r.ReloadHint)
	default:
		fmt.Fprintln(out, "Not reloaded (--no-reload): run `systemctl --user daemon-reload` to load the new units.")
	}
}

// shortNameWarnings lists runes whose image is not fully qualified: Quadlet
// warns about them at every daemon-reload and Podman resolves them through
// short-name aliases, which may pick another registry than meant.
func shortNameWarnings(runes []model.Rune) []string {
	var out []string
	for _, r := range runes {
		if !fullyQualified(r.Image) {
			out = append(out, fmt.Sprintf("%s: rune %q: image %q is not fully qualified; name its registry (e.g. docker.io/library/NAME:TAG) so Podman does not have to guess", r.Source, r.Name, r.Image))
		}
	}
	return out
}

// fullyQualified reports whether an image reference names its registry: its
// first path component contains a '.' or ':' or is "localhost", the rule
// Podman and Quadlet use.
func fullyQualified(image string) bool {
	first, rest, ok := strings.Cut(image, "/")
	if !ok || rest == "" {
		return false
	}
	return strings.ContainsAny(first, ".:") || first == "localhost"
}

// limit returns at most n items of list, with a count of the rest.
func limit(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(append([]string(nil), list[:n]...), fmt.Sprintf("and %d more", len(list)-n))
}

// unchangedSince fails when the binding site s no longer looks as in
// before (taken before the assimilation started any process).
func unchangedSince(s *site.Site, before site.Snapshot) error {
	after, err := s.Snapshot()
	if err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if changed := site.Changed(before, after); len(changed) > 0 {
		return fmt.Errorf("bind: nothing was written: the binding site changed while the extensions were being assimilated (%s); an extension, or another program such as a second lychd bind, wrote to it. Run lychd bind again; if this repeats with no other bind running, look for the extension that writes there with lychd extension inspect NAME", strings.Join(limit(changed, 3), ", "))
	}
	return nil
}

// runningChanged returns the services, sorted, whose Quadlet files changes
// updates and that the user manager has active: a daemon-reload gives them
// their new definition, but their containers run as they were started.
// When the manager cannot be asked, it returns none.
func runningChanged(ctx context.Context, opts *Options, changes []site.Change) []string {
	if opts.Manager == nil {
		return nil
	}
	var services []string
	for _, c := range changes {
		if c.Op != "update" {
			continue
		}
		switch base := filepath.Base(c.Path); {
		case base == unitname.PodFile:
			services = append(services, unitname.Pod)
		case strings.HasSuffix(base, unitname.ContainerSuffix):
			services = append(services, strings.TrimSuffix(base, unitname.ContainerSuffix)+unitname.ServiceSuffix)
		}
	}
	if len(services) == 0 {
		return nil
	}
	m, err := opts.Manager(ctx)
	if err != nil {
		return nil
	}
	defer m.Close()
	units, err := m.ListUnitStates(ctx, services)
	if err != nil {
		return nil
	}
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	var running []string
	for _, u := range units {
		if want[u.Name] && (u.ActiveState == "active" || u.ActiveState == "activating" || u.ActiveState == "reloading") {
			running = append(running, u.Name)
		}
	}
	slices.Sort(running)
	return running
}
