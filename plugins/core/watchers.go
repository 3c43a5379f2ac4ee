package core

import (
	"errors"
	"fmt"

	"github.com/lychd/lychd/internal/unitname"
	"github.com/lychd/lychd/internal/watchers"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/validate"
)

// Where the Watchers' files are on the host, as the runes mount them. lychd
// bind writes HarvesterConfigFile into every generation it binds (through
// the "current" link, the Harvester reads the bound one when it starts)
// and installs the Grafana files, dashboards included, in GrafanaConfigDir.
const (
	HarvesterConfigFile = "%h/.local/share/lychd/bindings/current/config/" + watchers.GenerationConfigFile
	GrafanaConfigDir    = "%h/.local/share/lychd/" + watchers.CryptDir + "/grafana"
	// HarvesterVolume and GrafanaVolume are the named volumes that keep
	// the time series and Grafana's database.
	HarvesterVolume = "lychd-harvester"
	GrafanaVolume   = "lychd-grafana"
)

// WatchersConfig is the [core.watchers] table of Config: the Harvester
// (Prometheus) and Grafana, off unless enabled.
//
//	[core.watchers]
//	enabled = true
//	publish = true                 # Grafana on 3000, the Harvester on 9091
//	grafana_host_port = 3300       # publishes Grafana on this port instead
//	harvester_host_port = 9191     # publishes the Harvester on this port
//	harvester_image = "docker.io/prom/prometheus:v3.16.0"
//	grafana_image = "docker.io/grafana/grafana:12.4.0"
type WatchersConfig struct {
	// Enabled adds the two runes.
	Enabled bool `json:"enabled"`
	// Publish publishes both on the host, on the pod's publish address,
	// at their host port keys or their ports inside the pod (Grafana 3000,
	// the Harvester 9091).
	Publish bool `json:"publish"`
	// GrafanaHostPort publishes Grafana on this host port; 0 leaves it to
	// Publish.
	GrafanaHostPort int `json:"grafana_host_port"`
	// HarvesterHostPort publishes the Harvester on this host port; 0
	// leaves it to Publish.
	HarvesterHostPort int `json:"harvester_host_port"`
	// HarvesterImage overrides watchers.HarvesterImage.
	HarvesterImage string `json:"harvester_image"`
	// GrafanaImage overrides watchers.GrafanaImage.
	GrafanaImage string `json:"grafana_image"`
}

const watchersTable = "the [core.watchers] table of lychd.toml"

// WatchersRunes returns the Harvester and Grafana when c enables them, and
// none otherwise; the core registers them after the runes of Runes.
// Settings without enabled = true are refused, so that a forgotten switch
// is not mistaken for Watchers that do not start.
func WatchersRunes(c WatchersConfig) ([]sdk.Rune, error) {
	if !c.Enabled {
		if c != (WatchersConfig{}) {
			return nil, errors.New(watchersTable + ": the Watchers are off, so their settings do nothing; add enabled = true to turn them on, or remove the table")
		}
		return nil, nil
	}
	hostPort := func(key string, set, inPod int) (int, error) {
		switch {
		case set != 0:
			if err := validate.Port(set); err != nil {
				return 0, fmt.Errorf("%s: %s: %w", watchersTable, key, err)
			}
			return set, nil
		case c.Publish:
			return inPod, nil
		}
		return 0, nil
	}
	harvesterHost, err := hostPort("harvester_host_port", c.HarvesterHostPort, watchers.HarvesterPort)
	if err != nil {
		return nil, err
	}
	grafanaHost, err := hostPort("grafana_host_port", c.GrafanaHostPort, watchers.GrafanaPort)
	if err != nil {
		return nil, err
	}
	h := watchers.HarvesterRune(HarvesterConfigFile, HarvesterVolume, harvesterHost != 0)
	g := watchers.GrafanaRune(GrafanaConfigDir, GrafanaVolume)
	env := map[string]string{}
	for _, e := range g.Environment {
		env[e.Name] = e.Value
	}
	harvester := sdk.Rune{
		Name:         validate.CoreHarvester,
		Kind:         sdk.AlwaysOn,
		Description:  h.Description,
		Image:        orDefault(c.HarvesterImage, h.Image),
		Port:         h.Port,
		ExposePort:   harvesterHost != 0,
		HostPort:     harvesterHost,
		Volumes:      h.Volumes,
		Exec:         h.Exec,
		StartTimeout: h.StartTimeout,
	}
	grafana := sdk.Rune{
		Name:        validate.CoreGrafana,
		Kind:        sdk.AlwaysOn,
		Description: g.Description,
		Image:       orDefault(c.GrafanaImage, g.Image),
		// Grafana queries the Harvester; it starts after it, and starting
		// Grafana starts the Harvester.
		Wants:        []string{unitname.AlwaysOnService(validate.CoreHarvester)},
		After:        []string{unitname.AlwaysOnService(validate.CoreHarvester)},
		Port:         g.Port,
		ExposePort:   grafanaHost != 0,
		HostPort:     grafanaHost,
		Volumes:      g.Volumes,
		Environment:  env,
		StartTimeout: g.StartTimeout,
	}
	return []sdk.Rune{harvester, grafana}, nil
}
