// Package portal groups the `lychd portal` commands.
package portal

import (
	"github.com/spf13/cobra"

	importcmd "github.com/lychd/lychd/internal/cmd/portal/import"
	"github.com/lychd/lychd/internal/cmdutil"
)

// NewCmd returns the `lychd portal` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "portal <command>",
		Short: "Manage portals: remote APIs the Dispatcher can route to",
	}
	cmd.AddCommand(importcmd.NewCmd(f, nil))
	return cmd
}
