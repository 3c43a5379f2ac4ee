// Package logs implements `lychd logs NAME...`: the systemd journal of
// soulstones, covens (every member) and core runes of the bound
// Sepulcher, read with `journalctl --user`.
package logs

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/unitname"
)

// Options are the inputs of `lychd logs`.
type Options struct {
	IO    cmdutil.IOStreams
	Names []string
	// Follow keeps printing new entries (journalctl --follow).
	Follow bool
	// Lines is how many of the last entries to print; -1 prints all.
	Lines int
	// Paths locates the bound generation.
	Paths func() (paths.Paths, error)
	// Journalctl finds the journalctl command (exec.LookPath in
	// production).
	Journalctl func() (string, error)
}

// NewCmd returns the logs command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, Journalctl: func() (string, error) { return exec.LookPath("journalctl") }}
	cmd := &cobra.Command{
		Use:   "logs NAME...",
		Short: "Show the journal of covens, soulstones or core runes",
		Long: `Show the systemd journal of each NAME of the bound Sepulcher, interleaved
by time: a soulstone's service lychd-soulstone-NAME.service, every member of a
coven, a core rune's service lychd-NAME.service (what the container wrote,
and systemd's and Podman's lines about it). It runs journalctl --user with
one -u per unit.`,
		Args: cmdutil.MinimumArgs(1, "name at least one coven, soulstone or core rune"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if opts.Lines < -1 {
				return cmdutil.FlagErrorf("--lines %d: give a number of lines, 0 or more", opts.Lines)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new entries")
	cmd.Flags().IntVarP(&opts.Lines, "lines", "n", -1, "print only the last `N` entries (default: all)")
	return cmd
}

// Units returns the services whose journal names stand for: each
// soulstone of a coven or the soulstone, the core rune's service; each
// once, in order.
func Units(rec *bound.Record, names []string) ([]string, error) {
	targets, err := rec.ResolveAll(names)
	if err != nil {
		return nil, err
	}
	var units []string
	seen := map[string]bool{}
	add := func(u string) {
		if !seen[u] {
			seen[u] = true
			units = append(units, u)
		}
	}
	for _, t := range targets {
		if len(t.Soulstones) == 0 {
			add(t.Unit)
			continue
		}
		for _, s := range t.Soulstones {
			add(unitname.SoulstoneService(s))
		}
	}
	return units, nil
}

// Args are journalctl's arguments for units.
func Args(units []string, follow bool, lines int) []string {
	args := []string{"--user", "--no-pager"}
	for _, u := range units {
		args = append(args, "-u", u)
	}
	if lines >= 0 {
		args = append(args, "-n", strconv.Itoa(lines))
	}
	if follow {
		args = append(args, "-f")
	}
	return args
}

// Run prints the journal of opts.Names.
func Run(ctx context.Context, opts *Options) error {
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	rec, _, err := bound.Load(p.CurrentGeneration())
	if err != nil {
		return err
	}
	units, err := Units(rec, opts.Names)
	if err != nil {
		return err
	}
	bin, err := opts.Journalctl()
	if err != nil {
		return errors.New("logs: journalctl is not on $PATH; lychd logs reads the systemd journal with it (install systemd's journalctl)")
	}
	cmd := exec.CommandContext(ctx, bin, Args(units, opts.Follow, opts.Lines)...)
	cmd.Stdout = opts.IO.Out
	cmd.Stderr = opts.IO.ErrOut
	err = cmd.Run()
	if opts.Follow && ctx.Err() != nil {
		return nil // interrupted while following: the normal end
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("logs: journalctl exited with status %d", exit.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("logs: running journalctl: %w", err)
	}
	return nil
}
