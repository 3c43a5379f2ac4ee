// Command lychd is the host side of LychD: it binds the user's Codex and
// installed extensions into Podman Quadlet and systemd units, and drives the
// covens through the user's systemd manager.
package main

import (
	"os"

	"github.com/lychd/lychd/internal/cmd/factory"
	"github.com/lychd/lychd/internal/cmd/root"
)

func main() {
	os.Exit(root.Run(factory.New(), os.Args[1:]))
}
