// Package animators implements `lychd animators`: list the Animators
// (soulstones and portals from the Codex and extensions) with their
// capabilities, tags and state, and with --pick choose the fewest that serve
// an intent.
package animators

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/lychd/lychd/internal/unitname"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/dispatch"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/systemd"
)

// Options are the inputs of `lychd animators`.
type Options struct {
	IO cmdutil.IOStreams
	// Paths locates the bound generation.
	Paths func() (paths.Paths, error)
	// Manager connects to the systemd user manager for the running state;
	// when it fails, states are reported as unknown.
	Manager    func(ctx context.Context) (systemd.Manager, error)
	Capability string
	Tags       []string
	Pick       bool
	JSON       bool
}

// NewCmd returns the animators command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, Manager: f.Manager}
	cmd := &cobra.Command{
		Use:   "animators [--capability C] [--tag T ...] [--pick]",
		Short: "List the Animators that serve an intent, or pick the fewest that cover it",
		Long: `List the Animators of the bound Sepulcher (soulstones and portals from the
Codex and extensions) with their capabilities, tags and state. --capability and --tag filter the list;
with --pick, lychd chooses the fewest Animators that together cover every
requested tag, preferring ones already running and one multi-tag rune over
several, and explains the choice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Capability, "capability", "", "only Animators with this capability (e.g. OpenAIChatCompletions)")
	cmd.Flags().StringSliceVar(&opts.Tags, "tag", nil, "required tag; repeat or separate with commas (e.g. --tag vision --tag ocr)")
	cmd.Flags().BoolVar(&opts.Pick, "pick", false, "choose the fewest Animators that cover all tags and explain the choice")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Entry is one Animator as printed by --json.
type Entry struct {
	Name         string   `json:"name"`
	Kind         string   `json:"kind"`
	Rune         string   `json:"rune,omitempty"`
	URL          string   `json:"url,omitempty"`
	Capabilities []string `json:"capabilities"`
	Tags         []string `json:"tags"`
	// State is active/inactive/... for soulstones (unknown without a
	// manager) and "remote" for portals.
	State  string `json:"state"`
	Source string `json:"source"`
}

// PickResult is printed by --pick --json.
type PickResult struct {
	Picked       []Entry    `json:"picked"`
	ToStart      []string   `json:"to_start"`
	Reason       string     `json:"reason"`
	Alternatives [][]string `json:"alternatives"`
}

// Run lists or picks Animators.
func Run(ctx context.Context, opts *Options) error {
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	rec, _, err := bound.Load(p.CurrentGeneration())
	if err != nil {
		return err
	}
	g, err := rec.Graph()
	if err != nil {
		return err
	}
	states := unitStates(ctx, opts)
	var cands []dispatch.Candidate
	entries := map[string]Entry{}
	for _, a := range rec.Manifest.Animators {
		e := Entry{Name: a.Name, Kind: string(a.Kind), Rune: a.Rune, URL: a.URL,
			Capabilities: nonNil(a.Capabilities), Tags: nonNil(a.Tags), Source: a.Source.String()}
		running := false
		if a.Kind == model.AnimatorPortal {
			e.State = "remote"
		} else {
			e.State = "unknown"
			if states != nil {
				e.State = states[unitname.SoulstoneService(a.Rune)]
				if e.State == "" {
					e.State = "inactive"
				}
			}
			running = e.State == "active"
		}
		entries[a.Name] = e
		cands = append(cands, dispatch.Candidate{Animator: a, Running: running})
	}
	q := dispatch.Query{Capability: opts.Capability, Tags: opts.Tags}
	if opts.Pick {
		ch, err := dispatch.Pick(cands, q, g.Compatible)
		if err != nil {
			return err
		}
		res := PickResult{ToStart: nonNil(ch.ToStart), Reason: ch.Reason, Alternatives: ch.Alternatives}
		if res.Alternatives == nil {
			res.Alternatives = [][]string{}
		}
		for _, c := range ch.Picked {
			res.Picked = append(res.Picked, entries[c.Name])
		}
		if opts.JSON {
			return writeJSON(opts.IO.Out, res)
		}
		printTable(opts.IO.Out, res.Picked)
		fmt.Fprintf(opts.IO.Out, "\nWhy: %s.\n", res.Reason)
		for _, alt := range res.Alternatives {
			fmt.Fprintf(opts.IO.Out, "Also possible: %s\n", strings.Join(alt, " + "))
		}
		if len(res.ToStart) > 0 {
			fmt.Fprintf(opts.IO.Out, "Start with: lychd start %s\n", strings.Join(res.ToStart, " "))
		}
		return nil
	}
	var list []Entry
	for _, c := range dispatch.List(cands, q) {
		list = append(list, entries[c.Name])
	}
	if opts.JSON {
		if list == nil {
			list = []Entry{}
		}
		return writeJSON(opts.IO.Out, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No animator matches.")
		return nil
	}
	printTable(opts.IO.Out, list)
	return nil
}

// unitStates returns the active state of every lychd unit, or nil when no
// manager is reachable.
func unitStates(ctx context.Context, opts *Options) map[string]string {
	if opts.Manager == nil {
		return nil
	}
	m, err := opts.Manager(ctx)
	if err != nil {
		return nil
	}
	defer m.Close()
	// Only loaded units can be running; one that systemd has not loaded is
	// inactive (the caller's default), so no unit file need be listed.
	units, err := m.ListUnitStates(ctx, []string{}, unitname.Pattern)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, u := range units {
		out[u.Name] = u.ActiveState
	}
	return out
}

func printTable(w io.Writer, list []Entry) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSTATE\tCAPABILITIES\tTAGS\tSOURCE")
	sort.SliceStable(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	for _, e := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Kind, e.State, orDash(strings.Join(e.Capabilities, ",")), orDash(strings.Join(e.Tags, ",")), e.Source)
	}
	tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
