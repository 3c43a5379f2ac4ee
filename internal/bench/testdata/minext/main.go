// Command minext is the minimal extension the benchmarks install many times:
// it registers one soulstone, named like the extension, in a coven of one.
//
// Its name is set at link time (go build -ldflags "-X main.name=NAME"), so
// that builds with 32 names are 32 distinct extensions. When the file
// $HOME/lychd-bench-launches exists, every launch appends one line to it,
// so that a benchmark can count launches (it is never created here).
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lychd/lychd/sdk"
)

// name is the extension's name, set with -ldflags "-X main.name=NAME".
var name = "minext"

// launchLog is the file, under $HOME, that counts launches when present.
const launchLog = "lychd-bench-launches"

// Ext is the extension; Name is taken from the executable.
type Ext struct{ Name string }

// Info describes the extension.
func (e Ext) Info() sdk.Info {
	return sdk.Info{Name: e.Name, Version: "0.0.1", Description: "benchmark extension"}
}

// Assimilate registers one soulstone.
func (e Ext) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	return a.AddRune(ctx, sdk.Rune{Name: e.Name, Image: "ghcr.io/example/engine:1", Port: 8081})
}

func main() {
	if home := os.Getenv("HOME"); home != "" {
		if f, err := os.OpenFile(filepath.Join(home, launchLog), os.O_WRONLY|os.O_APPEND, 0); err == nil {
			fmt.Fprintln(f, name)
			f.Close()
		}
	}
	sdk.Serve(Ext{Name: name})
}
