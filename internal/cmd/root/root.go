// Package root assembles the lychd command tree.
package root

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmd/animators"
	"github.com/lychd/lychd/internal/cmd/bind"
	"github.com/lychd/lychd/internal/cmd/export"
	"github.com/lychd/lychd/internal/cmd/extension"
	initcmd "github.com/lychd/lychd/internal/cmd/init"
	"github.com/lychd/lychd/internal/cmd/logs"
	"github.com/lychd/lychd/internal/cmd/portal"
	"github.com/lychd/lychd/internal/cmd/start"
	"github.com/lychd/lychd/internal/cmd/status"
	"github.com/lychd/lychd/internal/cmd/stop"
	"github.com/lychd/lychd/internal/cmd/version"
	"github.com/lychd/lychd/internal/cmdutil"
)

// NewCmdRoot returns the lychd root command with every subcommand attached.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "lychd <command>",
		Short:         "Bind and drive the LychD Sepulcher: Quadlet units, covens, extensions",
		Version:       version.Read().String(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetVersionTemplate("{{.Version}}\n")
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetIn(f.IO.In)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})
	// Subcommands are registered here, one line each.
	cmd.AddCommand(initcmd.NewCmd(f, nil))
	cmd.AddCommand(bind.NewCmd(f, nil))
	cmd.AddCommand(animators.NewCmd(f, nil))
	cmd.AddCommand(start.NewCmd(f, nil))
	cmd.AddCommand(stop.NewCmd(f, nil))
	cmd.AddCommand(status.NewCmd(f, nil))
	cmd.AddCommand(logs.NewCmd(f, nil))
	cmd.AddCommand(extension.NewCmd(f))
	cmd.AddCommand(export.NewCmd(f))
	cmd.AddCommand(portal.NewCmd(f))
	cmd.AddCommand(version.NewCmd(f, nil))
	return cmd
}

// Run executes the lychd command tree with args under ctx (cancelled on
// Ctrl-C) and returns the process exit code.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	c, err := cmd.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	if errors.Is(err, cmdutil.ErrSilent) {
		return cmdutil.ExitError
	}
	if strings.HasPrefix(err.Error(), "unknown command ") {
		fmt.Fprintf(f.IO.ErrOut, "lychd: %v\nRun '%s --help' for usage.\n", err, c.CommandPath())
		return cmdutil.ExitUsage
	}
	var ferr *cmdutil.FlagError
	if errors.As(err, &ferr) {
		fmt.Fprintf(f.IO.ErrOut, "lychd: %v\n\n%s", err, c.UsageString())
		return cmdutil.ExitUsage
	}
	fmt.Fprintf(f.IO.ErrOut, "lychd: %v\n", err)
	return cmdutil.ExitError
}
