// Command lychd-host is lychd with the plugin host linked in: go-plugin,
// gRPC and the core extension. lychd runs it itself, next to which it is
// installed, when it must launch extensions (a registration cache miss, the
// extension commands); it can also run every lychd command in one process.
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
