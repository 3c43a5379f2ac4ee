// Command lychd is the host side of LychD: it binds the user's Codex and
// installed extensions into Podman Quadlet and systemd units, and drives the
// covens through the user's systemd manager.
//
// It builds in two forms. A plain `go build ./cmd/lychd` gives one
// self-contained binary that links the plugin host (go-plugin, gRPC, the
// core extension). Built with the lychd_split tag next to cmd/lychd-host,
// as `make build` and `make install` do, lychd links none of that and
// starts about twice as fast: it reads registrations from the cache and
// runs lychd-host, installed beside it, only to launch extensions.
package main

import (
	"os"

	"github.com/lychd/lychd/internal/cmd/root"
)

func main() {
	f, cmd := command()
	os.Exit(root.Execute(f, cmd, os.Args[1:]))
}
