package scribe

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/model/modeltest"
)

// simFiles parses the [Unit] section of every generated file into the
// simulator's input; units are named after the service Quadlet generates.
func simFiles(t *testing.T, out *Output) map[string]map[string][]string {
	t.Helper()
	files := map[string]map[string][]string{}
	for _, f := range append(append([]File(nil), out.Quadlet...), out.Systemd...) {
		name := f.Name
		switch {
		case strings.HasSuffix(name, ".container"):
			name = strings.TrimSuffix(name, ".container") + ".service"
		case strings.HasSuffix(name, ".pod"):
			continue
		}
		kv := map[string][]string{}
		section := ""
		for _, line := range strings.Split(string(f.Data), "\n") {
			if strings.HasPrefix(line, "[") {
				section = strings.Trim(line, "[]")
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok || section != "Unit" || strings.HasPrefix(line, "#") {
				continue
			}
			kv[k] = append(kv[k], strings.Fields(v)...)
		}
		files[name] = kv
	}
	return files
}

func soulstones(m *model.Manifest) []string {
	var names []string
	for _, r := range m.Runes {
		names = append(names, r.Name)
	}
	return names
}

func svc(name string) string { return "lychd-soulstone-" + name + ".service" }

// TestPropertyExclusivity checks, for random Codexes, that the generated
// Conflicts=/PartOf= graph forbids exactly the incompatible pairs, and that
// every stop of an incompatible soulstone completes before the start that
// displaced it.
func TestPropertyExclusivity(t *testing.T) {
	const cases = 300
	for seed := int64(1); seed <= cases; seed++ {
		rng := rand.New(rand.NewSource(seed))
		m := modeltest.RandomManifest(rng)
		out, err := Compile(m)
		if err != nil {
			if strings.Contains(err.Error(), "ordering cycle") {
				continue // random after= edges may form a cycle; reported, as it should be
			}
			t.Fatalf("seed %d: Compile: %v", seed, err)
		}
		files := simFiles(t, out)
		names := soulstones(m)
		desc := func() string { return fmt.Sprintf("seed %d: runes %v alliances %v", seed, describe(m), m.Alliances) }

		// Every ordered pair: start x, then y.
		for _, x := range names {
			for _, y := range names {
				if x == y {
					continue
				}
				s := newSim(files)
				mustStart(t, s, svc(x), m, desc)
				mustStart(t, s, svc(y), m, desc)
				want := modeltest.Compatible(m, x, y)
				if got := s.active[svc(x)]; got != want {
					t.Fatalf("%s: start %s then %s: %s active=%v, want %v", desc(), x, y, x, got, want)
				}
				if !s.active[svc(y)] {
					t.Fatalf("%s: start %s then %s: %s not active", desc(), x, y, y)
				}
			}
		}
		// Coven targets: start x, then a coven; a coven, then x.
		for _, c := range out.Graph.Covens() {
			if !c.HasTarget {
				continue
			}
			for _, x := range names {
				s := newSim(files)
				mustStart(t, s, svc(x), m, desc)
				mustStart(t, s, c.TargetName(), m, desc)
				want := true
				for _, mem := range c.Members {
					if !modeltest.Compatible(m, x, mem) && x != mem {
						want = false
					}
					if !s.active[svc(mem)] {
						t.Fatalf("%s: start %s then %s: member %s not active", desc(), x, c.Name, mem)
					}
				}
				if contains(c.Members, x) {
					want = true
				}
				if got := s.active[svc(x)]; got != want {
					t.Fatalf("%s: start %s then coven %s: %s active=%v, want %v", desc(), x, c.Name, x, got, want)
				}
			}
		}
		// Random sequences of starts keep the invariant.
		s := newSim(files)
		var targets []string
		for _, c := range out.Graph.Covens() {
			if c.HasTarget {
				targets = append(targets, c.TargetName())
			}
		}
		for step := 0; step < 12; step++ {
			var u string
			if len(targets) > 0 && rng.Intn(3) == 0 {
				u = targets[rng.Intn(len(targets))]
			} else {
				u = svc(names[rng.Intn(len(names))])
			}
			mustStart(t, s, u, m, desc)
		}
	}
}

func describe(m *model.Manifest) string {
	var parts []string
	for _, r := range m.Runes {
		p := r.Name + strings.Join(r.Covens(), "+")
		if len(r.After) > 0 {
			p += "(after " + strings.Join(r.After, ",") + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// mustStart starts u and checks the invariants: no two incompatible
// soulstones active, and every displaced soulstone stopped before any
// incompatible one started.
func mustStart(t *testing.T, s *sim, u string, m *model.Manifest, desc func() string) {
	t.Helper()
	jobs, err := s.start(u)
	if err != nil {
		t.Fatalf("%s: start %s: %v", desc(), u, err)
	}
	names := soulstones(m)
	for _, a := range names {
		for _, b := range names {
			if a < b && s.active[svc(a)] && s.active[svc(b)] && !modeltest.Compatible(m, a, b) {
				t.Fatalf("%s: after start %s: incompatible %s and %s both active", desc(), u, a, b)
			}
		}
	}
	for _, stop := range jobs {
		if stop.start || !strings.HasPrefix(stop.unit, "lychd-soulstone-") {
			continue
		}
		for _, st := range jobs {
			if !st.start || !strings.HasPrefix(st.unit, "lychd-soulstone-") {
				continue
			}
			a := strings.TrimSuffix(strings.TrimPrefix(stop.unit, "lychd-soulstone-"), ".service")
			b := strings.TrimSuffix(strings.TrimPrefix(st.unit, "lychd-soulstone-"), ".service")
			if !modeltest.Compatible(m, a, b) && !s.waitsFor(stop, st) {
				t.Fatalf("%s: start %s: stop of %s is not ordered before start of %s (VRAM overlap)", desc(), u, a, b)
			}
		}
	}
}
