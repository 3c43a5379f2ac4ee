// Command lychd is the host side of LychD: it binds the user's Codex and
// installed extensions into Podman Quadlet and systemd units, and drives the
// covens through the user's systemd manager.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/lychd/lychd/internal/cmd/factory"
	"github.com/lychd/lychd/internal/cmd/root"
)

func main() {
	// Ctrl-C or a SIGTERM cancels the command's context: every command
	// stops waiting, kills the extensions it launched and says what it
	// leaves; a second signal kills lychd at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(root.Run(ctx, factory.New(), os.Args[1:]))
}
