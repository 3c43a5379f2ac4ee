// Package factory builds the cmdutil.Factory the lychd command runs with:
// the process's streams and environment, lychd's paths, the assimilation
// of the core and the installed extensions (package host), and the user's
// systemd manager.
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
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/podman"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/plugins/core"
)

// New returns the Factory of the lychd process.
func New() *cmdutil.Factory {
	f := &cmdutil.Factory{IO: cmdutil.SystemIO(), Getenv: os.Getenv}
	f.Paths = func() (paths.Paths, error) { return paths.FromEnv(f.Getenv) }
	f.Manager = func(ctx context.Context) (systemd.Manager, error) {
		return systemd.Connect(ctx, f.Getenv("XDG_RUNTIME_DIR"))
	}
	f.Reload = func(ctx context.Context) error {
		return systemd.ReloadUser(ctx, f.Getenv("XDG_RUNTIME_DIR"))
	}
	f.Secrets = func() (podman.Secrets, error) { return podman.Find() }
	f.Assimilate = func(ctx context.Context, cx *codex.Codex) (*host.Result, error) {
		p, err := f.Paths()
		if err != nil {
			return nil, err
		}
		return host.Assimilate(ctx, Options(f, p, cx))
	}
	return f
}

// Options are the host.Options of an assimilation of the core and every
// installed extension with the settings and tables of cx. $LYCHD_NO_CACHE
// bypasses the registration cache; extension log lines go to stderr at the
// level in $LYCHD_LOG (default warn).
func Options(f *cmdutil.Factory, p paths.Paths, cx *codex.Codex) host.Options {
	level := hclog.LevelFromString(f.Getenv("LYCHD_LOG"))
	if level == hclog.NoLevel {
		level = hclog.Warn
	}
	return host.Options{
		ExtensionsDir: p.ExtensionsDir(),
		CacheDir:      p.CacheDir(),
		ProcessDir:    p.ProcessDir(),
		LogDir:        p.ExtensionLogDir(),
		NoCache:       f.Getenv("LYCHD_NO_CACHE") != "",
		Core:          core.New(),
		Config:        Config(cx),
		Locate:        Locate(cx),
		StartTimeout:  cx.Assimilation.StartTimeout,
		Deadline:      cx.Assimilation.Deadline,
		Parallel:      cx.Assimilation.Parallel,
		Logger:        hclog.New(&hclog.LoggerOptions{Name: "lychd", Level: level, Output: f.IO.ErrOut}),
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
		cfg[host.CoreName] = cx.Core
	}
	return cfg
}

// Locate is host.Options.Locate for the Codex cx: where a key of the
// [extensions.NAME] table (the [core] table for the core) is written in
// lychd.toml, as "lychd.toml:LINE: KEY".
func Locate(cx *codex.Codex) func(name, key string) string {
	return func(name, key string) string {
		path := []string{"extensions", name}
		if name == host.CoreName {
			path = []string{"core"}
		}
		path = append(path, splitKey(key)...)
		line, ok := cx.KeyLine(path...)
		if !ok {
			return ""
		}
		var b strings.Builder
		for i, s := range path {
			if i > 0 && !strings.HasPrefix(s, "[") {
				b.WriteByte('.')
			}
			b.WriteString(s)
		}
		return fmt.Sprintf("%s:%d: %s", codex.MainFile, line, b.String())
	}
}

// splitKey splits a key path such as "models[1].name" into "models",
// "[1]" and "name".
func splitKey(key string) []string {
	var out []string
	for _, part := range strings.Split(key, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			switch {
			case i < 0:
				out = append(out, part)
				part = ""
			case i > 0:
				out = append(out, part[:i])
				part = part[i:]
			default:
				j := strings.IndexByte(part, ']')
				if j < 0 {
					out = append(out, part)
					part = ""
					continue
				}
				out = append(out, part[:j+1])
				part = part[j+1:]
			}
		}
	}
	return out
}
