// Package factory builds the cmdutil.Factory of the light lychd command
// (cmd/lychd built with the lychd_split tag): assimilation from the
// registration cache, or by lychd-host on a miss (package hostproc), and
// the real systemd user manager.
//
// It must not link the plugin host: lychd's start-up time is what every
// warm bind, start and status pays (see cmd/lychd's dependency test).
package factory

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/lychd/lychd/host/assimilation"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/hostproc"
	"github.com/lychd/lychd/internal/sepulcher"
)

// New returns the Factory the lychd command runs with.
func New() *cmdutil.Factory {
	f := cmdutil.NewFactory()
	f.Assimilate = Assimilator(f, hostproc.Here, RunLychdHost(f))
	f.Delegate = func(args []string) error {
		b, err := hostproc.Here()
		if err != nil {
			return err
		}
		path, err := b.Host()
		if err != nil {
			return err
		}
		return hostproc.Exec(path, args, os.Environ())
	}
	return f
}

// Miss runs the real assimilation described by req, for Assimilator when
// the cache cannot answer; bins are the installation's binaries. It calls
// sepulcher.BeforeLaunch(ctx) before anything it launches.
type Miss func(ctx context.Context, bins hostproc.Binaries, req hostproc.Request) (*assimilation.Result, error)

// RunLychdHost is the Miss of the light lychd: it runs lychd-host, which
// launches the extensions; lychd-host's stderr goes to f's.
func RunLychdHost(f *cmdutil.Factory) Miss {
	return func(ctx context.Context, bins hostproc.Binaries, req hostproc.Request) (*assimilation.Result, error) {
		path, err := bins.Host()
		if err != nil {
			return nil, err
		}
		if err := sepulcher.BeforeLaunch(ctx); err != nil {
			return nil, err
		}
		return hostproc.Assimilate(ctx, path, req, f.IO.ErrOut)
	}
}

// Assimilator takes the whole registration of the core and every
// installed extension from the cache when it is valid, and otherwise runs
// miss with the settings and tables of the Codex. The binaries found by
// locate give the cache fingerprint. $LYCHD_NO_CACHE bypasses the cache.
func Assimilator(f *cmdutil.Factory, locate func() (hostproc.Binaries, error), miss Miss) sepulcher.Assimilator {
	return func(ctx context.Context, cx *codex.Codex) (*sepulcher.Assimilated, error) {
		p, err := f.Paths()
		if err != nil {
			return nil, err
		}
		bins, err := locate()
		if err != nil {
			return nil, err
		}
		cfg := Config(cx)
		noCache := f.Getenv("LYCHD_NO_CACHE") != ""
		hostID := bins.Fingerprint()
		if !noCache {
			res, ok := assimilation.FromCache(assimilation.Warm{
				ExtensionsDir: p.ExtensionsDir(),
				CacheDir:      p.CacheDir(),
				Core:          true,
				Config:        cfg,
				Host:          hostID,
			})
			if ok {
				return Assimilated(res), nil
			}
		}
		res, err := miss(ctx, bins, hostproc.Request{
			ExtensionsDir: p.ExtensionsDir(),
			CacheDir:      p.CacheDir(),
			Config:        cfg,
			StartTimeout:  cx.Assimilation.StartTimeout,
			Deadline:      cx.Assimilation.Deadline,
			Parallel:      cx.Assimilation.Parallel,
			NoCache:       noCache,
			HostID:        hostID,
		})
		if err != nil {
			return nil, err
		}
		return Assimilated(res), nil
	}
}

// Config maps every extension name to its [extensions.NAME] table of the
// Codex, and the core's name to its [core] table.
func Config(cx *codex.Codex) map[string]json.RawMessage {
	cfg := map[string]json.RawMessage{}
	for name, raw := range cx.Extensions {
		cfg[name] = raw
	}
	if cx.Core != nil {
		cfg[assimilation.CoreName] = cx.Core
	}
	return cfg
}

// Assimilated turns a Result into what commands report: one line per
// extension, e.g. "vision-organ 1.2.0 (launch 7ms, assimilation 2ms; 2
// runes, 1 animators)". The core, part of lychd, gets neither timings nor
// a cache note.
func Assimilated(res *assimilation.Result) *sepulcher.Assimilated {
	out := &sepulcher.Assimilated{Runes: res.Runes, Animators: res.Animators}
	for _, s := range res.Extensions {
		line := fmt.Sprintf("%s %s", s.Name, s.Version)
		var notes []string
		switch {
		case s.Name == assimilation.CoreName:
		case s.Cached:
			notes = append(notes, "cached")
		default:
			notes = append(notes, fmt.Sprintf("launch %s, assimilation %s", s.Launch.Round(100_000), s.Assimilation.Round(100_000)))
		}
		notes = append(notes, fmt.Sprintf("%d runes, %d animators", s.Runes, s.Animators))
		out.Extensions = append(out.Extensions, line+" ("+strings.Join(notes, "; ")+")")
	}
	return out
}
