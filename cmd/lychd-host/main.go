// Command lychd-host is lychd with the plugin host linked in: go-plugin,
// gRPC and the core extension. It is installed next to the light lychd
// (cmd/lychd built with the lychd_split tag), which runs it when it must
// launch extensions: a registration cache miss, the extension commands. It
// can also run every lychd command in one process.
package main

import (
	"os"

	"github.com/lychd/lychd/internal/cmd/root"
	"github.com/lychd/lychd/internal/hostcmd"
)

func main() {
	f := hostcmd.NewFactory()
	os.Exit(root.Execute(f, hostcmd.NewCmdRoot(f), os.Args[1:]))
}
