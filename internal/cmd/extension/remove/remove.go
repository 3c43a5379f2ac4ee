// Package remove implements `lychd extension remove NAME`: delete an
// installed extension's binary, its lock entry and the log of its last
// launch, and name the [extensions.NAME] table it leaves in lychd.toml.
package remove

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/paths"
)

// Options are the inputs of `lychd extension remove`.
type Options struct {
	IO    cmdutil.IOStreams
	Paths func() (paths.Paths, error)
	Name  string
}

// NewCmd returns the remove command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths}
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an installed extension",
		Long: "Delete the extension's binary and its entry in extensions.lock.json. Its runes stay\n" +
			"bound until the next \"lychd bind\", which refuses its [extensions.NAME] table in\n" +
			"lychd.toml until the table is deleted.",
		Args: cmdutil.ExactArgs(1, "remove takes exactly one argument, the extension's name (see lychd extension list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

// Run removes the extension.
func Run(_ context.Context, opts *Options) error {
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	e, err := host.Remove(host.RemoveOptions{Dir: p.ExtensionsDir(), CacheDir: p.CacheDir(), Name: opts.Name})
	if err != nil {
		return err
	}
	if err := host.RemoveLog(p.ExtensionLogDir(), opts.Name); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "lychd: warning: could not delete the log of its last launch: %v\n", err)
	}
	fmt.Fprintf(opts.IO.Out, "Removed extension %s %s\n", opts.Name, e.Version)
	if cx, err := codex.Load(p.CodexDir()); err == nil {
		if _, ok := cx.Extensions[opts.Name]; ok {
			line, _ := cx.KeyLine("extensions", opts.Name)
			fmt.Fprintf(opts.IO.Out, "  delete its table [extensions.%s] (%s:%d): lychd bind refuses a table of an extension that is not installed\n", opts.Name, codex.MainFile, line)
		}
	}
	fmt.Fprintf(opts.IO.Out, "  run \"lychd bind\" to remove its runes from the Sepulcher\n")
	return nil
}
