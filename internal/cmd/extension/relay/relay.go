// Package relay is the `lychd extension` command group as the lychd
// command has it: the whole command line is handed to lychd-host, which
// links the plugin host the real commands need (package extension).
package relay

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmdutil"
)

// Use, Short and Long describe the command group; package extension uses
// them too, so both binaries describe it alike.
const (
	Use   = "extension <command>"
	Short = "Install, list, inspect and remove lychd extensions"
	Long  = "Extensions are plugin binaries that register runes and Animators. They are installed\n" +
		"under ~/.local/share/lychd/extensions with their sha256 in extensions.lock.json, and\n" +
		"launched by lychd whenever it assimilates them (lychd bind)."
)

// NewCmd returns the command group that relays `lychd extension ARGS...`
// to lychd-host through f.Delegate. Flags, --help included, are left for
// lychd-host to parse.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:                Use,
		Short:              Short,
		Long:               Long + "\n\nCommands: install, list, inspect, remove (lychd extension COMMAND --help).",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.Delegate == nil {
				return errors.New("this lychd cannot run the extension commands")
			}
			return f.Delegate(append([]string{"extension"}, args...))
		},
	}
}
