//go:build lychd_split

package main

import (
	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmd/factory"
	"github.com/lychd/lychd/internal/cmd/root"
	"github.com/lychd/lychd/internal/cmdutil"
)

// command is the light lychd: registrations come from the cache, and
// lychd-host, installed beside it, launches extensions.
func command() (*cmdutil.Factory, *cobra.Command) {
	f := factory.New()
	return f, root.NewCmdRoot(f, nil)
}
