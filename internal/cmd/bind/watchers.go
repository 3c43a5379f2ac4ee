package bind

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/engine"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/site"
	"github.com/lychd/lychd/internal/watchers"
	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/validate"
)

// theWatchers is what a bind writes for the Watchers when the core
// registered them ([core.watchers] enabled = true): the Harvester's
// configuration, which goes into the generation, and Grafana's files,
// which go into the Crypt.
type theWatchers struct {
	config   []site.File
	grafana  []watchers.File
	warnings []string
}

// watchersOf returns the Watchers' files for manifest m, or nil when the
// core registered no Harvester. The Harvester scrapes a soulstone made
// from an engine preset (engines, by soulstone name) where its preset
// says, or not at all when the engine exports no metrics; every other
// soulstone at /metrics on its port (the Sepulcher standard port 8081 when
// it declares none); and the Vessel on its port.
func watchersOf(m *model.Manifest, engines map[string]engine.Resolved) (*theWatchers, error) {
	var on bool
	var cfg watchers.Config
	for _, r := range m.Runes {
		switch {
		case r.Kind == model.KindSoulstone:
			if res, ok := engines[r.Name]; ok {
				if t, ok := watchers.EngineTarget(res); ok {
					cfg.Targets = append(cfg.Targets, t)
				}
				continue
			}
			port := r.Port
			if port == 0 {
				port = preset.StandardPort
			}
			cfg.Targets = append(cfg.Targets, watchers.Target{Soulstone: r.Name, Port: port, MetricsPath: "/metrics"})
		case r.Source.Kind != model.SourceCore:
		case r.Name == validate.CoreHarvester:
			on = true
		case r.Name == validate.CoreVessel && r.Port != 0:
			cfg.Vessel = &watchers.VesselTarget{Port: r.Port, MetricsPath: "/metrics"}
		}
	}
	if !on {
		return nil, nil
	}
	out, err := watchers.Generate(cfg)
	if err != nil {
		return nil, err
	}
	w := &theWatchers{warnings: out.Warnings, grafana: watchers.GrafanaFiles(out)}
	for _, f := range out.Files {
		if f.Name == watchers.PrometheusFile {
			w.config = append(w.config, site.File{Name: watchers.GenerationConfigFile, Data: f.Data})
		}
	}
	return w, nil
}

// installWatchers installs Grafana's files in the Crypt; with dryRun it
// only plans. It returns what was (or would be) written or removed, and a
// warning for each dashboard kept as the user's.
func installWatchers(p paths.Paths, w *theWatchers, dryRun bool, display func(string) string) ([]Change, []string, error) {
	dir := filepath.Join(p.DataDir(), watchers.CryptDir)
	var decisions []watchers.Decision
	var err error
	if dryRun {
		// A directory that does not exist yet reads as empty.
		var rec watchers.Record
		root := os.DirFS(dir)
		if rec, err = watchers.ReadRecord(root); err == nil {
			decisions, _, err = watchers.Plan(root, w.grafana, rec)
		}
	} else {
		decisions, err = watchers.Install(dir, w.grafana)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the Watchers' files in %s: %w", display(dir), err)
	}
	var changes []Change
	var warnings []string
	for _, d := range decisions {
		shown := display(filepath.Join(dir, filepath.FromSlash(d.Name)))
		switch d.Action {
		case watchers.Write:
			changes = append(changes, Change{Op: "write", Path: shown})
		case watchers.Remove:
			changes = append(changes, Change{Op: "remove", Path: shown})
		case watchers.Keep:
			warnings = append(warnings, fmt.Sprintf("%s: %s", shown, d.Reason))
		}
	}
	return changes, warnings, nil
}

// displayHome shows a path under home with "~".
func displayHome(home string) func(string) string {
	return func(p string) string {
		if home != "" && home != "/" {
			if rel, ok := strings.CutPrefix(p, filepath.Clean(home)+"/"); ok {
				return path.Join("~", rel)
			}
		}
		return p
	}
}

// harvesterConfigChanged reports whether plan replaces the Harvester's
// prometheus.yml of an earlier generation.
func harvesterConfigChanged(p paths.Paths, plan site.Plan) bool {
	shown := displayHome(p.Home)(filepath.Join(p.BindingsDir(), site.CurrentLinkName, bound.ConfigDir, watchers.GenerationConfigFile))
	for _, c := range plan.Changes {
		if c.Path == shown && c.Op == "update" {
			return true
		}
	}
	return false
}
