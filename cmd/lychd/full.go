//go:build !lychd_split

package main

import (
	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/hostcmd"
)

// command is the self-contained lychd: the plugin host is linked in.
func command() (*cmdutil.Factory, *cobra.Command) {
	f := hostcmd.NewFactory()
	return f, hostcmd.NewCmdRoot(f)
}
