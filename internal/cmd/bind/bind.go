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
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/podman"
	"github.com/lychd/lychd/internal/scribe"
	"github.com/lychd/lychd/internal/site"
	"github.com/lychd/lychd/internal/systemd"
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
	// Secrets is Podman's secret store: bind refuses units that name a
	// secret it does not have. It returns podman.ErrNoPodman when podman is
	// not installed (bind then warns that the secrets were not checked);
	// nil checks nothing.
	Secrets func() (podman.Secrets, error)
}

// NewCmd returns the bind command. runF replaces the run function in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, Assimilate: f.Assimilate, Reload: f.Reload, Secrets: f.Secrets}
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
	// Reloaded is true when the user manager reloaded.
	Reloaded bool `json:"reloaded"`
	// ReloadHint is set when a reload was needed but not done.
	ReloadHint string   `json:"reload_hint,omitempty"`
	Extensions []string `json:"extensions"`
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
	m := cx.Manifest()
	m.Runes = append(append([]model.Rune(nil), res.Runes...), m.Runes...)
	m.Animators = append(append([]model.Animator(nil), res.Animators...), m.Animators...)
	out, err := scribe.Compile(&m)
	if err != nil {
		return fmt.Errorf("bind: nothing was written:\n%w", err)
	}
	gen, err := Generation(p, &m, out, res)
	if err != nil {
		return fmt.Errorf("bind: nothing was written: %w", err)
	}
	warnings := append(shortNameWarnings(m.SortedRunes()), res.Warnings...)
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
	for _, w := range warnings {
		fmt.Fprintln(opts.IO.ErrOut, "lychd: warning: "+w)
	}
	r := Result{DryRun: opts.DryRun, Changed: len(plan.Changes) > 0, Files: len(gen.Quadlet) + len(gen.Systemd), Changes: []Change{}, Extensions: extensionLines(res)}
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
	if !opts.DryRun {
		if err := settleReload(ctx, opts, p, &r); err != nil {
			return err
		}
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	printHuman(opts.IO.Out, opts.IO.ErrOut, &r)
	return nil
}

// Generation is what a bind writes for manifest m: the unit files scribe
// compiled into out and the record of what was bound, with the Codex
// under p and the extensions of res as its inputs.
func Generation(p paths.Paths, m *model.Manifest, out *scribe.Output, res *host.Result) (site.Generation, error) {
	var gen site.Generation
	quadlet, systemd := map[string][]byte{}, map[string][]byte{}
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
	rec := bound.New(m, out.Graph, quadlet, systemd, out.Holds, in)
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
			fmt.Fprintln(out, "\nDry run: nothing was written.")
			return
		}
	}
	if !r.Changed {
		if len(r.Internal) == 0 {
			fmt.Fprintf(out, "Nothing to do: %d files are already bound.\n", r.Files)
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
