// Package list implements `lychd extension list [--json] [--verbose]`: the
// installed extensions from the lock file, with problems (a missing or
// changed binary) and, with --verbose, what in the extensions directory was
// ignored.
package list

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/paths"
)

// SchemaVersion is the version of the --json output; fields are only ever
// added within a version.
const SchemaVersion = 1

// Options are the inputs of `lychd extension list`.
type Options struct {
	IO      cmdutil.IOStreams
	Paths   func() (paths.Paths, error)
	JSON    bool
	Verbose bool
}

// Report is the --json output.
type Report struct {
	SchemaVersion int         `json:"schema_version"`
	Extensions    []Extension `json:"extensions"`
	// Ignored is only filled with --verbose.
	Ignored []Ignored `json:"ignored,omitempty"`
}

// Extension is one installed extension.
type Extension struct {
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	Description string    `json:"description"`
	Protocol    int       `json:"protocol"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Installed   time.Time `json:"installed"`
	Source      string    `json:"source"`
	Path        string    `json:"path"`
	// Problem says what is wrong with the installation, "" when nothing.
	Problem string `json:"problem"`
}

// Ignored is an entry of the extensions directory that is not an
// installed extension.
type Ignored struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// NewCmd returns the list command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List installed extensions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, fmt.Sprintf("print a JSON report (schema version %d)", SchemaVersion))
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "also show what in the extensions directory was ignored, and why")
	return cmd
}

// Run lists the extensions.
func Run(_ context.Context, opts *Options) error {
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	inv, err := host.Discover(p.ExtensionsDir())
	if err != nil {
		return err
	}
	rep := Report{SchemaVersion: SchemaVersion, Extensions: []Extension{}}
	for _, in := range inv.Extensions {
		rep.Extensions = append(rep.Extensions, Extension{
			Name: in.Name, Version: in.Entry.Version, Description: in.Entry.Description,
			Protocol: in.Entry.Protocol, SHA256: in.Entry.SHA256, Size: in.Entry.Size,
			Installed: in.Entry.Installed, Source: in.Entry.Source, Path: in.Path, Problem: in.Problem,
		})
	}
	if opts.Verbose {
		for _, ig := range inv.Ignored {
			rep.Ignored = append(rep.Ignored, Ignored{Path: ig.Path, Reason: ig.Reason})
		}
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	out := opts.IO.Out
	if len(rep.Extensions) == 0 {
		fmt.Fprintf(out, "No extensions installed in %s.\nInstall one with: lychd extension install PATH\n", p.ExtensionsDir())
	} else {
		var table strings.Builder
		tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tVERSION\tPROTOCOL\tSHA256\tDESCRIPTION")
		for _, e := range rep.Extensions {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", e.Name, e.Version, e.Protocol, shortSum(e.SHA256), e.Description)
		}
		tw.Flush()
		// An empty last column leaves padding behind; drop it.
		for _, line := range strings.SplitAfter(table.String(), "\n") {
			if line != "" {
				fmt.Fprintln(out, strings.TrimRight(line, " \n"))
			}
		}
	}
	for _, e := range rep.Extensions {
		if e.Problem != "" {
			fmt.Fprintf(out, "problem: extension %q: %s\n", e.Name, e.Problem)
		}
	}
	if opts.Verbose {
		for _, ig := range rep.Ignored {
			fmt.Fprintf(out, "ignored: %s: %s\n", ig.Path, ig.Reason)
		}
	}
	return nil
}

func shortSum(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
