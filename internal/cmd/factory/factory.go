// Package factory builds the production cmdutil.Factory: the real
// assimilation of the core and installed extensions, and the real systemd
// user manager.
package factory

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/sepulcher"
	"github.com/lychd/lychd/plugins/core"
)

// New returns the Factory the lychd command runs with.
func New() *cmdutil.Factory {
	f := cmdutil.NewFactory()
	f.Assimilate = Assimilator(f)
	return f
}

// Assimilator runs the in-process core and every installed extension with
// the settings and tables of the Codex. Extension log lines go to stderr at
// the level in $LYCHD_LOG (default warn).
func Assimilator(f *cmdutil.Factory) sepulcher.Assimilator {
	return func(ctx context.Context, cx *codex.Codex) (*sepulcher.Assimilated, error) {
		p, err := f.Paths()
		if err != nil {
			return nil, err
		}
		cfg := map[string]json.RawMessage{}
		for name, raw := range cx.Extensions {
			cfg[name] = raw
		}
		if cx.Core != nil {
			cfg[host.CoreName] = cx.Core
		}
		level := hclog.LevelFromString(f.Getenv("LYCHD_LOG"))
		if level == hclog.NoLevel {
			level = hclog.Warn
		}
		res, err := host.Assimilate(ctx, host.Options{
			ExtensionsDir: p.ExtensionsDir(),
			CacheDir:      p.CacheDir(),
			NoCache:       f.Getenv("LYCHD_NO_CACHE") != "",
			Core:          core.New(),
			Config:        cfg,
			StartTimeout:  cx.Assimilation.StartTimeout,
			Deadline:      cx.Assimilation.Deadline,
			Parallel:      cx.Assimilation.Parallel,
			Logger:        hclog.New(&hclog.LoggerOptions{Name: "lychd", Level: level, Output: errOut(f)}),
		})
		if err != nil {
			return nil, err
		}
		out := &sepulcher.Assimilated{Runes: res.Runes, Animators: res.Animators}
		for _, s := range res.Extensions {
			line := fmt.Sprintf("%s %s", s.Name, s.Version)
			var notes []string
			if s.Cached {
				notes = append(notes, "cached")
			} else if s.Name != host.CoreName {
				notes = append(notes, fmt.Sprintf("launch %s, assimilation %s", s.Launch.Round(100_000), s.Assimilation.Round(100_000)))
			}
			notes = append(notes, fmt.Sprintf("%d runes, %d animators", s.Runes, s.Animators))
			out.Extensions = append(out.Extensions, line+" ("+strings.Join(notes, "; ")+")")
		}
		return out, nil
	}
}

func errOut(f *cmdutil.Factory) *os.File {
	if w, ok := f.IO.ErrOut.(*os.File); ok {
		return w
	}
	return os.Stderr
}
