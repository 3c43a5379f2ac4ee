package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/plugins/core"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/validate"
	"github.com/lychd/lychd/sdk/wire"
)

// golden compares got with testdata/name (internal/golden).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

// result is what core registered.
type result struct {
	Info      sdk.Info       `json:"info"`
	Runes     []sdk.Rune     `json:"runes"`
	Animators []sdk.Animator `json:"animators"`
}

type collect struct{ r *result }

func (c collect) AddRune(_ context.Context, r sdk.Rune) error {
	c.r.Runes = append(c.r.Runes, r)
	return nil
}

func (c collect) AddPreset(_ context.Context, name string, _ preset.Preset) error {
	return fmt.Errorf("core registers no presets, got %q", name)
}

func (c collect) RegisterAnimator(_ context.Context, a sdk.Animator) error {
	c.r.Animators = append(c.r.Animators, a)
	return nil
}

// assimilate runs core through wire.InProcess, as lychd does, with config
// (nil for an absent [core] table). Core is not run through plugintest: its
// volumes use the %h specifier, which lychd allows only in the runes it
// writes itself.
func assimilate(t *testing.T, config map[string]any) (*result, error) {
	t.Helper()
	var raw []byte
	if config != nil {
		var err error
		if raw, err = json.Marshal(config); err != nil {
			t.Fatal(err)
		}
	}
	c := wire.InProcess(core.New())
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := &result{Info: info}
	err = c.Assimilate(context.Background(), raw, collect{r})
	return r, err
}

// check applies lychd's rules for the core to what core registered.
func check(t *testing.T, r *result) {
	t.Helper()
	if err := sdk.ValidateSetFrom(r.Runes, r.Animators, validate.FromCore); err != nil {
		t.Errorf("core breaks lychd's rules: %v", err)
	}
	if r.Info.Name != core.Name {
		t.Errorf("core calls itself %q", r.Info.Name)
	}
}

func render(t *testing.T, r *result) []byte {
	t.Helper()
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		config map[string]any
	}{
		{"default.golden", nil},
		{"oculus-off.golden", map[string]any{"oculus": map[string]any{"enabled": false}}},
		{"configured.golden", map[string]any{
			"vessel": map[string]any{
				"image":           "ghcr.io/hexanomicon/lychd:1.4",
				"host_port":       8134,
				"devices":         []string{"nvidia.com/gpu=all"},
				"library_sources": []string{"%h/Documents/Books", "/srv/papers/"},
			},
			"phylactery": map[string]any{"image": "docker.io/pgvector/pgvector:pg17"},
			"oculus":     map[string]any{"image": "docker.io/arizephoenix/phoenix:8", "host_port": 0},
		}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			r, err := assimilate(t, tc.config)
			if err != nil {
				t.Fatal(err)
			}
			check(t, r)
			golden(t, tc.golden, render(t, r))
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		config map[string]any
		want   string
	}{{
		map[string]any{"vesel": map[string]any{}},
		`the [core] table of lychd.toml: decoding the extension's config table: unknown key "vesel" (known keys: "oculus", "phylactery", "vessel", "watchers"; check its spelling in lychd.toml)`,
	}, {
		map[string]any{"vessel": map[string]any{"host_port": 70000}},
		`the [core.vessel] table of lychd.toml: host_port: port 70000 is out of range; use a number from 1 to 65535`,
	}, {
		map[string]any{"vessel": map[string]any{"devices": []string{"nvidia.com/gpu"}}},
		`the [core.vessel] table of lychd.toml: devices: device "nvidia.com/gpu" is not a CDI name of the form vendor/class=name; write a CDI name such as "nvidia.com/gpu=all" (list yours with "nvidia-ctk cdi list" or look in /etc/cdi)`,
	}, {
		map[string]any{"oculus": map[string]any{"host_port": -1}},
		`the [core.oculus] table of lychd.toml: host_port: port -1 is out of range; use a number from 1 to 65535`,
	}, {
		map[string]any{"vessel": map[string]any{"library_sources": []string{"%h/My Books"}}},
		`the [core.vessel] table of lychd.toml: library source "%h/My Books": host path "/My Books" contains a space; paths with spaces are not supported, link the directory from a path without spaces`,
	}, {
		map[string]any{"vessel": map[string]any{"library_sources": []string{"/srv/${PATH}x"}}},
		`the [core.vessel] table of lychd.toml: library source "/srv/${PATH}x": host path "/srv/${PATH}x" contains '$'; Quadlet copies the host path into the unit's RequiresMountsFor=, where systemd reads quotes, backslashes and "$" differently from Podman: use a path without them (link the directory from one)`,
	}, {
		map[string]any{"vessel": map[string]any{"library_sources": []string{"%h/a:b"}}},
		`the [core.vessel] table of lychd.toml: library source "%h/a:b": host path "/a:b" contains ":", which separates the parts of a volume; link the directory from a path without it`,
	}, {
		map[string]any{"vessel": map[string]any{"library_sources": []string{"%h"}}},
		`the [core.vessel] table of lychd.toml: library source "%h" must be an absolute path or start with %h/`,
	}, {
		map[string]any{"vessel": map[string]any{"library_sources": []string{"%hx/a"}}},
		`the [core.vessel] table of lychd.toml: library source "%hx/a" must be an absolute path or start with %h/`,
	}, {
		map[string]any{"vessel": map[string]any{"library_sources": []string{"Books"}}},
		`the [core.vessel] table of lychd.toml: library source "Books" must be an absolute path or start with %h/`,
	}, {
		map[string]any{"vessel": map[string]any{"library_sources": []string{"/a/Books", "%h/Books"}}},
		`the [core.vessel] table of lychd.toml: library sources "/a/Books" and "%h/Books" would both mount at %h/work/library/Books; rename one directory`,
	}} {
		_, err := assimilate(t, tc.config)
		if err == nil || err.Error() != tc.want {
			t.Errorf("config %v:\n got %v\nwant %s", tc.config, err, tc.want)
		}
	}
}

// TestOnlyLychdWritesSpecifiers: the core's environment is written into
// its units with systemd specifiers kept (the Vessel's HOME=%h), so no
// value of it may come from the Codex. Whatever the [core] table says,
// the only environment values holding a '%' are the Vessel's four path
// variables, and they are the same.
func TestOnlyLychdWritesSpecifiers(t *testing.T) {
	wantPaths := map[string]string{
		"HOME":            "%h",
		"XDG_CONFIG_HOME": "%h/.config",
		"XDG_DATA_HOME":   "%h/.local/share",
		"XDG_CACHE_HOME":  "%h/.cache",
	}
	const pct = "%u%%%"
	for _, config := range []map[string]any{
		nil,
		{
			"vessel": map[string]any{"image": "v" + pct, "host_port": 8134, "devices": []string{"nvidia.com/gpu=all"},
				"library_sources": []string{"%h/Books", "/srv/papers"}},
			"phylactery": map[string]any{"image": "p" + pct},
			"oculus":     map[string]any{"image": "o" + pct, "host_port": 0},
			"watchers":   map[string]any{"enabled": true, "publish": true, "harvester_image": "h" + pct, "grafana_image": "g" + pct},
		},
		{"oculus": map[string]any{"enabled": false}},
	} {
		res, err := assimilate(t, config)
		if err != nil {
			t.Fatalf("config %v: %v", config, err)
		}
		// The Vessel's image runs as the Vessel and as the migrate one-shot.
		app := func(r sdk.Rune) bool { return r.Name == validate.CoreVessel || r.Name == validate.CoreMigrate }
		sawVessel, sawMigrate := false, false
		for _, r := range res.Runes {
			for name, value := range r.Environment {
				if want, ok := wantPaths[name]; ok && app(r) {
					if value != want {
						t.Errorf("config %v: rune %s: %s = %q, want %q", config, r.Name, name, value, want)
					}
					continue
				}
				if strings.Contains(value, "%") {
					t.Errorf("config %v: rune %s: %s = %q holds a '%%' the scribe would write as a specifier", config, r.Name, name, value)
				}
			}
			if app(r) {
				sawVessel = sawVessel || r.Name == validate.CoreVessel
				sawMigrate = sawMigrate || r.Name == validate.CoreMigrate
				for name := range wantPaths {
					if _, ok := r.Environment[name]; !ok {
						t.Errorf("config %v: rune %s has no %s", config, r.Name, name)
					}
				}
			}
		}
		if !sawVessel || !sawMigrate {
			t.Errorf("config %v: Vessel %v, migrate %v; want both", config, sawVessel, sawMigrate)
		}
	}
}
