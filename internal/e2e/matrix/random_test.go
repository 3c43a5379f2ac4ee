package matrix

import (
	"fmt"
	"maps"
	"math/rand"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/e2e"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/model/modeltest"
	"github.com/lychd/lychd/internal/scribe"
)

// randomCodexes and randomSteps size TestRandomCodexes: each Codex is
// installed on the same booted machine and walked by that many starts.
const (
	randomCodexes = 10
	randomSteps   = 16
)

// TestRandomCodexes installs the units of random Codexes (the generator of
// the Scribe's property test: covens of one, two-coven members, alliances of
// two or three, after= edges; plus wants= and requires= between compatible
// soulstones) on a booted systemd and starts soulstones and coven targets in
// a random order with `systemctl --user start`. After every start, judged by
// an oracle written from the spec (modeltest.Compatible), not by lychd's
// covenant: what was started runs; no two incompatible soulstones run; a
// soulstone that ran was stopped only if it cannot run with one that runs
// now or it requires one that was stopped. At the end of each Codex, the
// stub podman's timestamps show that no two incompatible containers ever
// overlapped.
func TestRandomCodexes(t *testing.T) {
	m := e2e.Boot(t, e2e.Options{})
	// A slow stop makes any start that does not wait for it overlap.
	m.MustUserRun(t, "systemctl", "--user", "set-environment", "LYCHD_STUB_PODMAN_STOP_DELAY=50ms")
	rng := rand.New(rand.NewSource(20261126))
	refused := 0
	for i := 0; i < randomCodexes; i++ {
		man := modeltest.RandomManifest(rng)
		addDependencies(rng, man)
		out, err := scribe.Compile(man)
		if err != nil {
			if strings.Contains(err.Error(), "ordering cycle") || strings.Contains(err.Error(), "could never start") {
				refused++ // as it should be: draw another
				i--
				continue
			}
			t.Fatalf("codex %d: %v", i, err)
		}
		walkCodex(t, m, rng, fmt.Sprintf("codex %d (%s; alliances %v)", i, describeRunes(man), man.Alliances), man, out)
	}
	t.Logf("%d Codexes walked; %d more drawn and refused by the Scribe (an after= cycle or a requires= chain that could never start)", randomCodexes, refused)
}

// walkCodex replaces the machine's lychd units with out and starts
// randomSteps random units.
func walkCodex(t *testing.T, m *e2e.Machine, rng *rand.Rand, what string, man *model.Manifest, out *scribe.Output) {
	t.Helper()
	m.MustUserRun(t, "sh", "-c", `systemctl --user stop 'lychd-*' && rm -rf `+path.Join(e2e.QuadletUnitDir, "lychd")+` `+e2e.SystemdUserUnitDir+`/lychd-*`)
	for _, f := range out.Quadlet {
		m.WriteFile(t, path.Join(e2e.QuadletUnitDir, "lychd", f.Name), string(f.Data))
	}
	for _, f := range out.Systemd {
		m.WriteFile(t, path.Join(e2e.SystemdUserUnitDir, f.Name), string(f.Data))
	}
	m.UserDaemonReload(t)
	m.MustUserRun(t, "systemctl", "--user", "reset-failed")
	logStart := len(m.PodmanLog(t))

	fx := &fixture{m: m, out: out, compat: func(a, b string) bool { return modeltest.Compatible(man, a, b) }}
	for _, r := range man.Runes {
		fx.names = append(fx.names, r.Name)
	}
	// A choice is a soulstone's service or a coven target with the
	// soulstones that must run once it started: the soulstone and what it
	// requires (the Scribe refused any chain that could never start).
	type choice struct {
		unit   string
		starts []string
	}
	var choices []choice
	for _, n := range fx.names {
		choices = append(choices, choice{svc(n), requiresClosure(man, n)})
	}
	for _, c := range out.Graph.Covens() {
		if !c.HasTarget {
			continue
		}
		// The Scribe refuses a coven whose members' requires= chains
		// cannot all run together (systemd would start only some).
		var pulled []string
		for _, mem := range c.Members {
			pulled = append(pulled, requiresClosure(man, mem)...)
		}
		if !fx.compatibleAmong(pulled) {
			t.Fatalf("%s: the Scribe accepted coven %s, whose members and what they require cannot all run together: %v", what, c.Name, pulled)
		}
		choices = append(choices, choice{target(c.Name), pulled})
	}
	var steps []string
	displaced := 0
	before := fx.states(t)
	for s := 0; s < randomSteps; s++ {
		ch := choices[rng.Intn(len(choices))]
		steps = append(steps, ch.unit)
		// As lychd start does: a walk may start one unit more often than
		// systemd's start rate limit allows (5 in 10 s).
		m.MustUserRun(t, "systemctl", "--user", "reset-failed")
		fx.start(t, ch.unit)
		after := fx.states(t)
		where := func() string { return fmt.Sprintf("%s, after starting %s", what, strings.Join(steps, ", ")) }
		for _, n := range ch.starts {
			if !after[n] {
				t.Errorf("%s: %s is not active", where(), n)
			}
		}
		for _, n := range fx.names {
			if before[n] && !after[n] && !fx.mayStop(man, n, before, after) {
				t.Errorf("%s: %s stopped although it can run with everything that runs now and requires nothing that stopped", where(), n)
			}
		}
		fx.checkInvariant(t, where())
		for _, n := range fx.names {
			if before[n] && !after[n] {
				displaced++
			}
		}
		before = after
	}
	log := m.PodmanLog(t)[logStart:]
	for _, a := range fx.names {
		for _, b := range fx.names {
			if a < b && !fx.compat(a, b) {
				if o := e2e.Overlaps(log, svc(a), svc(b)); len(o) > 0 {
					t.Errorf("%s, after starting %s: VRAM overlap: %v", what, strings.Join(steps, ", "), o)
				}
			}
		}
	}
	t.Logf("%s: %d starts displaced %d soulstones; %d container runs, no incompatible overlap", what, len(steps), displaced, len(e2e.Lifetimes(log)))
	if t.Failed() {
		t.FailNow()
	}
}

// mayStop reports whether a start may have stopped soulstone n: it cannot
// run with a soulstone that runs now, or it requires (transitively) one that
// stopped.
func (fx *fixture) mayStop(man *model.Manifest, n string, before, after map[string]bool) bool {
	for _, o := range fx.names {
		if after[o] && !fx.compat(n, o) {
			return true
		}
	}
	for _, r := range requiresClosure(man, n) {
		if before[r] && !after[r] {
			return true
		}
	}
	return false
}

func (fx *fixture) compatibleAmong(names []string) bool {
	for _, a := range names {
		for _, b := range names {
			if !fx.compat(a, b) {
				return false
			}
		}
	}
	return true
}

// addDependencies gives about one soulstone in two a wants= or requires=
// on another soulstone it is compatible with or, one time in four, on the
// target of a coven of two or more whose members it is all compatible with
// (the Scribe refuses others).
func addDependencies(rng *rand.Rand, m *model.Manifest) {
	members := map[string][]string{}
	for _, r := range m.Runes {
		for _, c := range r.Covens() {
			members[c] = append(members[c], r.Name)
		}
	}
	for i := range m.Runes {
		if rng.Intn(2) != 0 {
			continue
		}
		name := m.Runes[i].Name
		var ok []string
		if rng.Intn(4) == 0 {
			for _, c := range slices.Sorted(maps.Keys(members)) {
				if len(members[c]) >= 2 && !slices.ContainsFunc(members[c], func(o string) bool { return !modeltest.Compatible(m, name, o) }) {
					ok = append(ok, target(c))
				}
			}
		} else {
			for _, r := range m.Runes {
				if r.Name != name && modeltest.Compatible(m, name, r.Name) {
					ok = append(ok, svc(r.Name))
				}
			}
		}
		if len(ok) == 0 {
			continue
		}
		dep := ok[rng.Intn(len(ok))]
		if rng.Intn(2) == 0 {
			m.Runes[i].Wants = append(m.Runes[i].Wants, dep)
		} else {
			m.Runes[i].Requires = append(m.Runes[i].Requires, dep)
		}
	}
}

// requiresClosure lists n and every soulstone it requires, transitively
// (a required coven target starts, but only wants its members).
func requiresClosure(m *model.Manifest, n string) []string {
	seen := map[string]bool{n: true}
	out := []string{n}
	for k := 0; k < len(out); k++ {
		for _, r := range m.Runes {
			if r.Name != out[k] {
				continue
			}
			for _, u := range r.Requires {
				dep, ok := strings.CutPrefix(u, "lychd-soulstone-")
				if !ok {
					continue // a coven target: it only wants its members
				}
				dep = strings.TrimSuffix(dep, ".service")
				if !seen[dep] {
					seen[dep] = true
					out = append(out, dep)
				}
			}
		}
	}
	return out
}

func describeRunes(m *model.Manifest) string {
	parts := make([]string, len(m.Runes))
	for i, r := range m.Runes {
		parts[i] = r.Name + "=" + strings.Join(r.Covens(), "+")
		for _, u := range r.Wants {
			parts[i] += " wants " + u
		}
		for _, u := range r.Requires {
			parts[i] += " requires " + u
		}
	}
	return strings.Join(parts, " ")
}
