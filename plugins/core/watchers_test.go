package core_test

import (
	"testing"

	"github.com/lychd/lychd/plugins/core"
	"github.com/lychd/lychd/sdk"
)

// TestWatchersGolden: [core.watchers] adds the Harvester and Grafana after
// the three core runes, published only when asked.
func TestWatchersGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		config map[string]any
	}{
		{"watchers.golden", map[string]any{"watchers": map[string]any{"enabled": true}}},
		{"watchers-published.golden", map[string]any{"watchers": map[string]any{
			"enabled":           true,
			"publish":           true,
			"grafana_host_port": 3300,
			"harvester_image":   "docker.io/prom/prometheus:v3.17.0",
			"grafana_image":     "docker.io/grafana/grafana:12.5.0",
		}}},
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

// TestWatchersPublishing: each host port key publishes its rune alone;
// publish = true publishes both at their ports inside the pod.
func TestWatchersPublishing(t *testing.T) {
	type pub struct{ harvester, grafana int }
	for _, tc := range []struct {
		config core.WatchersConfig
		want   pub
	}{
		{core.WatchersConfig{Enabled: true}, pub{}},
		{core.WatchersConfig{Enabled: true, Publish: true}, pub{9091, 3000}},
		{core.WatchersConfig{Enabled: true, GrafanaHostPort: 3300}, pub{0, 3300}},
		{core.WatchersConfig{Enabled: true, HarvesterHostPort: 9191}, pub{9191, 0}},
		{core.WatchersConfig{Enabled: true, Publish: true, HarvesterHostPort: 9191}, pub{9191, 3000}},
	} {
		runes, err := core.WatchersRunes(tc.config)
		if err != nil {
			t.Fatal(err)
		}
		got := pub{}
		for _, r := range runes {
			if r.ExposePort != (r.HostPort != 0) {
				t.Errorf("%+v: rune %s: expose_port %v with host port %d", tc.config, r.Name, r.ExposePort, r.HostPort)
			}
			switch r.Name {
			case "harvester":
				got.harvester = r.HostPort
				listen := r.Exec[len(r.Exec)-1]
				if want := map[bool]string{true: "--web.listen-address=0.0.0.0:9091", false: "--web.listen-address=127.0.0.1:9091"}[r.ExposePort]; listen != want {
					t.Errorf("%+v: harvester listens with %q, want %q", tc.config, listen, want)
				}
			case "grafana":
				got.grafana = r.HostPort
			}
			if r.Kind != sdk.AlwaysOn {
				t.Errorf("rune %s is not always-on", r.Name)
			}
		}
		if got != tc.want {
			t.Errorf("%+v: published %+v, want %+v", tc.config, got, tc.want)
		}
	}
}

func TestWatchersConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		config map[string]any
		want   string
	}{{
		map[string]any{"watchers": map[string]any{"publish": true}},
		`the [core.watchers] table of lychd.toml: the Watchers are off, so their settings do nothing; add enabled = true to turn them on, or remove the table`,
	}, {
		map[string]any{"watchers": map[string]any{"enabled": true, "grafana_host_port": 70000}},
		`the [core.watchers] table of lychd.toml: grafana_host_port: port 70000 is out of range; use a number from 1 to 65535`,
	}, {
		map[string]any{"watchers": map[string]any{"enabled": true, "harvester_host_port": -1}},
		`the [core.watchers] table of lychd.toml: harvester_host_port: port -1 is out of range; use a number from 1 to 65535`,
	}, {
		map[string]any{"watchers": map[string]any{"enable": true}},
		`the [core] table of lychd.toml: decoding the extension's config table: unknown key "watchers.enable" (known keys: "enabled", "grafana_host_port", "grafana_image", "harvester_host_port", "harvester_image", "publish"; check its spelling in lychd.toml)`,
	}} {
		_, err := assimilate(t, tc.config)
		if err == nil || err.Error() != tc.want {
			t.Errorf("config %v:\n got %v\nwant %s", tc.config, err, tc.want)
		}
	}
}
