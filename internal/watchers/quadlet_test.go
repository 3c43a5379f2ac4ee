package watchers

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/unitfile"
)

// TestRunesThroughQuadlet writes the two runes as Quadlet units with the
// keys the caller will use and checks, with the real Quadlet generator,
// that podman receives exactly the intended arguments.
func TestRunesThroughQuadlet(t *testing.T) {
	for _, spec := range []RuneSpec{
		HarvesterRune("/home/u/.local/share/lychd/bindings/current/config/prometheus.yml", "lychd-harvester", false),
		HarvesterRune("/home/u/.local/share/lychd/bindings/current/config/prometheus.yml", "lychd-harvester", true),
		GrafanaRune("/home/u/.local/share/lychd/watchers/grafana", "lychd-grafana"),
	} {
		t.Run(spec.Name, func(t *testing.T) {
			health, err := json.Marshal(spec.HealthCmd)
			if err != nil {
				t.Fatal(err)
			}
			f := unitfile.New()
			f.Add("Unit", "Description", unitfile.Literal(spec.Description))
			f.Add("Container", "Image", unitfile.Arg(spec.Image))
			f.Add("Container", "Pod", unitfile.Arg("lychd.pod"))
			for _, v := range spec.Volumes {
				f.Add("Container", "Volume", unitfile.Arg(v))
			}
			for _, e := range spec.Environment {
				f.Add("Container", "Environment", unitfile.EnvAssign(e.Name, e.Value))
			}
			f.Add("Container", "HealthCmd", unitfile.Arg(string(health)))
			f.Add("Container", "Notify", unitfile.Literal("healthy"))
			if len(spec.Exec) > 0 {
				f.Add("Container", "Exec", unitfile.Words(spec.Exec...))
			}
			data, err := f.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			units, log, err := testtool.QuadletDryRun(t, map[string]string{
				spec.Name + ".container": string(data),
				"lychd.pod":              "[Pod]\nPodName=lychd\n",
			})
			if err != nil {
				t.Fatalf("quadlet: %v\n%s\n%s", err, log, data)
			}
			unit, ok := units[spec.Name+".service"]
			if !ok {
				t.Fatalf("no %s.service in %v\n%s", spec.Name, units, log)
			}
			p, err := unitfile.Parse([]byte(unit))
			if err != nil {
				t.Fatal(err)
			}
			execs := p.Get("Service", "ExecStart")
			if len(execs) != 1 {
				t.Fatalf("ExecStart = %q", execs)
			}
			argv, err := unitfile.SplitWords(execs[0])
			if err != nil {
				t.Fatal(err)
			}
			img := -1
			for i, w := range argv {
				if w == spec.Image {
					img = i
				}
			}
			if img < 0 {
				t.Fatalf("image missing from %q", argv)
			}
			if got := argv[img+1:]; len(spec.Exec) > 0 && !reflect.DeepEqual(got, spec.Exec) {
				t.Errorf("command after the image = %q, want %q", got, spec.Exec)
			}
			if got := unitfile.FlagValues(argv, "--health-cmd"); !reflect.DeepEqual(got, []string{string(health)}) {
				t.Errorf("--health-cmd = %q, want %q", got, health)
			}
			if got := unitfile.FlagValues(argv, "-v"); !reflect.DeepEqual(got, spec.Volumes) {
				t.Errorf("-v = %q, want %q", got, spec.Volumes)
			}
			var env []string
			for _, e := range spec.Environment {
				env = append(env, e.Name+"="+e.Value)
			}
			if got := unitfile.FlagValues(argv, "--env"); !reflect.DeepEqual(got, env) {
				t.Errorf("--env = %q, want %q", got, env)
			}
			if !strings.Contains(execs[0], "--sdnotify=healthy") {
				t.Errorf("Notify=healthy did not reach podman: %s", execs[0])
			}
		})
	}
}
