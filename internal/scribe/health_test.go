package scribe

import (
	"reflect"
	"time"

	"github.com/lychd/lychd/internal/model"
	"slices"
	"strings"
	"testing"
)

// TestHealthAndResourcesThroughQuadlet compiles the engine-health golden
// manifest, runs the real Quadlet generator and checks that the health
// check, Notify=healthy, the memory limit and the pod's shared memory
// reach podman exactly, and that the service waits for the notification.
func TestHealthAndResourcesThroughQuadlet(t *testing.T) {
	m := goldenCases["engine-health"]
	out, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	services := generatedServices(t, out)
	for _, tc := range []struct {
		svc      string
		health   string
		interval []string
		memory   []string
	}{
		{svc: "lychd-soulstone-qwen.service", health: `["curl","-fsS","-o","/dev/null","http://127.0.0.1:8081/health"]`, interval: []string{"10s"}, memory: []string{"48g"}},
		{svc: "lychd-soulstone-tiny.service", health: `["curl","-fsS","http://127.0.0.1:8082/health?x=100%&y=$HOME"]`},
		{svc: "lychd-soulstone-embed.service", health: `["curl","-fsS","http://127.0.0.1:8090/health"]`, memory: []string{"4g"}},
	} {
		p := services[tc.svc]
		if p == nil {
			t.Errorf("Quadlet generated no %s", tc.svc)
			continue
		}
		words := argv(t, tc.svc, p, "ExecStart")
		if got := flagArgs(t, tc.svc, words, "--health-cmd"); !reflect.DeepEqual(got, []string{tc.health}) {
			t.Errorf("%s: --health-cmd = %q, want %q", tc.svc, got, tc.health)
		}
		if got := flagArgs(t, tc.svc, words, "--health-interval"); !reflect.DeepEqual(got, tc.interval) {
			t.Errorf("%s: --health-interval = %q, want %q", tc.svc, got, tc.interval)
		}
		var mem []string
		for _, w := range words {
			if v, ok := strings.CutPrefix(w, "--memory="); ok {
				mem = append(mem, v)
			}
		}
		if !reflect.DeepEqual(mem, tc.memory) {
			t.Errorf("%s: --memory= %q, want %q", tc.svc, mem, tc.memory)
		}
		if !slices.Contains(words, "--sdnotify=healthy") {
			t.Errorf("%s: no --sdnotify=healthy in %q", tc.svc, words)
		}
		if got := p.Get("Service", "Type"); !reflect.DeepEqual(got, []string{"notify"}) {
			t.Errorf("%s: Type= %q, want notify (the start job waits for healthy)", tc.svc, got)
		}
	}
	qwen := argv(t, "qwen", services["lychd-soulstone-qwen.service"], "ExecStart")
	for flag, want := range map[string]string{"--health-timeout": "5s", "--health-start-period": "1800s", "--health-retries": "3"} {
		if got := flagArgs(t, "qwen", qwen, flag); !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("qwen: %s = %q, want %q", flag, got, want)
		}
	}
	create := argv(t, "lychd-pod.service", services["lychd-pod.service"], "ExecStartPre")
	if got := flagArgs(t, "lychd-pod.service", create, "--shm-size"); !reflect.DeepEqual(got, []string{"16g"}) {
		t.Errorf("pod --shm-size = %q, want [16g] (the largest of 16g and 512m)", got)
	}
	// The resident soulstone starts with the pod: the pod's service wants it.
	pod := services["lychd-pod.service"]
	var wants []string
	for _, w := range pod.Get("Unit", "Wants") {
		wants = append(wants, strings.Fields(w)...)
	}
	if !slices.Contains(wants, "lychd-soulstone-embed.service") {
		t.Errorf("pod Wants= %q lacks the resident lychd-soulstone-embed.service", wants)
	}
	for _, w := range wants {
		if w == "lychd-soulstone-qwen.service" || w == "lychd-soulstone-tiny.service" {
			t.Errorf("pod wants coven member %s", w)
		}
	}
}

// TestResidentAndResourceRules checks the refusals of checkResources, with
// their exact words.
func TestResidentAndResourceRules(t *testing.T) {
	src := codexSrc("soulstones/m.toml", 3)
	member := model.Rune{Name: "big", Kind: model.KindSoulstone, Image: "docker.io/library/busybox:1.36", Groups: []string{"reasoning"}, Devices: []string{"nvidia.com/gpu=0"}, Source: codexSrc("soulstones/m.toml", 9)}
	for _, tc := range []struct {
		name string
		r    model.Rune
		want string
	}{
		{"shared device", model.Rune{Name: "embed", Kind: model.KindSoulstone, Resident: true, Image: "docker.io/library/busybox:1.36", Devices: []string{"nvidia.com/gpu=0"}, Source: src},
			`soulstones/m.toml:3: resident soulstone "embed" names device nvidia.com/gpu=0, which soulstone "big" (soulstones/m.toml:9) of coven reasoning also names; a resident runs beside every coven, so give it a device of its own, or make it an ordinary soulstone (remove resident)`},
		{"groups", model.Rune{Name: "embed", Kind: model.KindSoulstone, Resident: true, Image: "docker.io/library/busybox:1.36", Groups: []string{"x"}, Source: src},
			`soulstones/m.toml:3: rune "embed": resident with groups x; a resident soulstone runs beside everything and belongs to no coven: remove groups or resident`},
		{"memory", model.Rune{Name: "embed", Kind: model.KindSoulstone, Image: "docker.io/library/busybox:1.36", Memory: "16 g", Source: src},
			`soulstones/m.toml:3: rune "embed": memory: memory limit "16 g" is not a number with one unit; write a size such as "16g" or "512m" (units b, k, m, g)`},
		{"small memory", model.Rune{Name: "embed", Kind: model.KindSoulstone, Image: "docker.io/library/busybox:1.36", Memory: "1m", Source: src},
			`soulstones/m.toml:3: rune "embed": memory: memory limit "1m" is below 6m, too little to run a container; write a size such as "16g" or "512m" (units b, k, m, g)`},
		{"shm", model.Rune{Name: "embed", Kind: model.KindSoulstone, Image: "docker.io/library/busybox:1.36", ShmSize: "1t", Source: src},
			`soulstones/m.toml:3: rune "embed": shm_size: shm size "1t" is not a number with one unit; write a size such as "16g" or "512m" (units b, k, m, g)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(&model.Manifest{Runes: []model.Rune{member, tc.r}})
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v\nwant %s", err, tc.want)
			}
		})
	}
	// A resident on a device of its own is accepted and in no coven.
	ok := model.Rune{Name: "embed", Kind: model.KindSoulstone, Resident: true, Image: "docker.io/library/busybox:1.36", Devices: []string{"nvidia.com/gpu=1"}, StartTimeout: time.Minute, Source: src}
	out, err := Compile(&model.Manifest{Runes: []model.Rune{member, ok}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Graph.ClassOf("embed") != nil {
		t.Error("the resident soulstone has a class; it must conflict with nothing")
	}
}
