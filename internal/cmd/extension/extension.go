// Package extension groups the `lychd extension` commands: new, install,
// list, inspect and remove.
package extension

import (
	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmd/extension/inspect"
	"github.com/lychd/lychd/internal/cmd/extension/install"
	"github.com/lychd/lychd/internal/cmd/extension/list"
	"github.com/lychd/lychd/internal/cmd/extension/remove"
	"github.com/lychd/lychd/internal/cmd/extension/scaffold"
	"github.com/lychd/lychd/internal/cmdutil"
)

// NewCmd returns the `lychd extension` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "extension <command>",
		Short: "Write, install, list, inspect and remove lychd extensions",
		Long: "Extensions are plugin binaries that register runes and Animators. They are installed\n" +
			"under ~/.local/share/lychd/extensions with their sha256 in extensions.lock.json, and\n" +
			"launched by lychd bind, which assimilates them. lychd extension new writes a new one.",
	}
	cmd.AddCommand(scaffold.NewCmd(f, nil))
	cmd.AddCommand(install.NewCmd(f, nil))
	cmd.AddCommand(list.NewCmd(f, nil))
	cmd.AddCommand(inspect.NewCmd(f, nil))
	cmd.AddCommand(remove.NewCmd(f, nil))
	return cmd
}
