// Command minimal is the smallest useful extension: one soulstone and its
// Animator. It takes its name from its installed file name
// (DIR/NAME/lychd-ext-NAME), so that benchmarks can install many copies.
package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/lychd/lychd/sdk"
)

type minimal struct{ name string }

func (m minimal) Info() sdk.Info { return sdk.Info{Name: m.name, Version: "1.0.0"} }

func (m minimal) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	if err := a.AddRune(ctx, sdk.Rune{Name: m.name, Image: "docker.io/library/alpine:3.20", Port: 8081}); err != nil {
		return err
	}
	return a.RegisterAnimator(ctx, sdk.Animator{Name: m.name, Capabilities: []string{"OpenAIChatCompletions"}, Tags: []string{"vision"}})
}

func main() {
	name := "minimal"
	if exe, err := os.Executable(); err == nil {
		if n, ok := strings.CutPrefix(filepath.Base(exe), "lychd-ext-"); ok {
			name = n
		}
	}
	sdk.Serve(minimal{name: name})
}
