// Package export groups the `lychd export` commands: the bound Sepulcher
// in other engines' formats.
package export

import (
	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmd/export/kube"
	"github.com/lychd/lychd/internal/cmdutil"
)

// NewCmd returns the `lychd export` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export <format>",
		Short: "Export the bound Sepulcher for other engines (Kubernetes)",
	}
	cmd.AddCommand(kube.NewCmd(f, nil))
	return cmd
}
