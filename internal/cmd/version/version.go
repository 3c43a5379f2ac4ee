// Package version implements `lychd version [--json]` and `lychd
// --version`: the module version, the commit it was built from, the Go
// version and the extension protocol this lychd speaks.
package version

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/sdk"
)

// Info is what lychd knows of its own build.
type Info struct {
	// Version is the module version ("(devel)" for a build from a
	// checkout).
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, "" when
	// unknown; Modified says the checkout had uncommitted changes.
	Commit   string `json:"commit"`
	Modified bool   `json:"modified"`
	// Go is the Go version that built it.
	Go string `json:"go"`
	// Protocol is the extension protocol version this lychd speaks.
	Protocol int `json:"protocol"`
}

// Read returns the build information of the running binary.
func Read() Info {
	info := Info{Version: "(devel)", Protocol: sdk.ProtocolVersion}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	info.Go = bi.GoVersion
	if bi.Main.Version != "" {
		info.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the one line `lychd --version` prints.
func (i Info) String() string {
	commit := i.Commit
	if commit == "" {
		commit = "unknown commit"
	} else if len(commit) > 12 {
		commit = commit[:12]
	}
	if i.Modified {
		commit += ", modified"
	}
	return fmt.Sprintf("lychd %s (%s; %s; extension protocol %d)", i.Version, commit, i.Go, i.Protocol)
}

// Options are the inputs of `lychd version`.
type Options struct {
	IO   cmdutil.IOStreams
	JSON bool
	// Read returns the build information (Read when nil).
	Read func() Info
}

// NewCmd returns the version command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Read: Read}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show lychd's version, commit, Go version and extension protocol",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the version information as JSON")
	return cmd
}

// Run prints the version.
func Run(opts *Options) error {
	info := opts.Read()
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	_, err := fmt.Fprintln(opts.IO.Out, info)
	return err
}
