package core_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/lychd/lychd/plugins/core"
	"github.com/lychd/lychd/sdk/plugintest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what core registers (go test -update rewrites it):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

func render(t *testing.T, r *plugintest.Result) []byte {
	t.Helper()
	out, err := json.MarshalIndent(map[string]any{"info": r.Info, "runes": r.Runes, "animators": r.Animators}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		opts   []plugintest.Option
	}{
		{"default.golden", nil},
		{"configured.golden", []plugintest.Option{plugintest.WithConfig(map[string]any{
			"vessel": map[string]any{
				"image":           "ghcr.io/hexanomicon/lychd:1.4",
				"host_port":       8134,
				"devices":         []string{"nvidia.com/gpu=all"},
				"library_sources": []string{"%h/Documents/Books", "/srv/papers/"},
			},
			"phylactery": map[string]any{"image": "docker.io/pgvector/pgvector:pg17"},
			"oculus":     map[string]any{"image": "docker.io/arizephoenix/phoenix:8", "host_port": 0},
		})}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			r := plugintest.Assimilate(t, core.New(), tc.opts...)
			plugintest.Check(t, r)
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
		`the [core] table of lychd.toml: decoding the extension's config table: unknown key "vesel" (check its spelling in lychd.toml)`,
	}, {
		map[string]any{"vessel": map[string]any{"host_port": 70000}},
		`adding core rune "vessel": rune "vessel": HostPort 70000 is outside 1-65535 (0 means the same as Port)`,
	}, {
		map[string]any{"vessel": map[string]any{"devices": []string{"/dev/nvidia0"}}},
		`adding core rune "vessel": rune "vessel": Devices: "/dev/nvidia0" is not a CDI device name such as "nvidia.com/gpu=all"`,
	}, {
		map[string]any{"vessel": map[string]any{"library_sources": []string{"Books"}}},
		`the [core.vessel] table of lychd.toml: library source "Books" must be an absolute path or start with %h/`,
	}, {
		map[string]any{"vessel": map[string]any{"library_sources": []string{"/a/Books", "%h/Books"}}},
		`the [core.vessel] table of lychd.toml: library sources "/a/Books" and "%h/Books" would both mount at %h/work/library/Books; rename one directory`,
	}} {
		r := plugintest.Assimilate(t, core.New(), plugintest.WithConfig(tc.config), plugintest.AllowError())
		if r.Err == nil || r.Err.Error() != tc.want {
			t.Errorf("config %v:\n got %v\nwant %s", tc.config, r.Err, tc.want)
		}
	}
}
