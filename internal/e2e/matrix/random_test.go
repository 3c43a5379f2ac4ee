package matrix

import (
	"fmt"
	"math/rand"
	"path"
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
	randomCodexes = 6
	randomSteps   = 16
)

// TestRandomCodexes installs the units of random Codexes (the generator of
// the Scribe's property test: covens of one, two-coven members, alliances of
// two or three, after= edges) on a booted systemd and starts soulstones and
// coven targets in a random order with `systemctl --user start`. After every
// start, judged by an oracle written from the spec (modeltest.Compatible),
// not by lychd's covenant: what was started runs; no two incompatible
// soulstones run; every soulstone that ran and is compatible with everything
// started still runs. At the end of each Codex, the stub podman's timestamps
// show that no two incompatible containers ever overlapped.
func TestRandomCodexes(t *testing.T) {
	m := e2e.Boot(t, e2e.Options{})
	// A slow stop makes any start that does not wait for it overlap.
	m.MustUserRun(t, "systemctl", "--user", "set-environment", "LYCHD_STUB_PODMAN_STOP_DELAY=50ms")
	rng := rand.New(rand.NewSource(20261126))
	for i := 0; i < randomCodexes; i++ {
		man := modeltest.RandomManifest(rng)
		out, err := scribe.Compile(man)
		if err != nil {
			if strings.Contains(err.Error(), "ordering cycle") {
				i--
				continue
			}
			t.Fatalf("codex %d: %v", i, err)
		}
		walkCodex(t, m, rng, fmt.Sprintf("codex %d (%s; alliances %v)", i, describeRunes(man), man.Alliances), man, out)
	}
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
	// A choice is a soulstone's service or a coven target with what it
	// starts.
	type choice struct {
		unit   string
		starts []string
	}
	var choices []choice
	for _, n := range fx.names {
		choices = append(choices, choice{svc(n), []string{n}})
	}
	for _, c := range out.Graph.Covens() {
		if c.HasTarget {
			choices = append(choices, choice{target(c.Name), c.Members})
		}
	}
	var steps []string
	displaced := 0
	before := fx.states(t)
	for s := 0; s < randomSteps; s++ {
		ch := choices[rng.Intn(len(choices))]
		steps = append(steps, ch.unit)
		fx.start(t, ch.unit)
		after := fx.states(t)
		where := func() string { return fmt.Sprintf("%s, after starting %s", what, strings.Join(steps, ", ")) }
		for _, n := range ch.starts {
			if !after[n] {
				t.Errorf("%s: %s is not active", where(), n)
			}
		}
		for _, n := range fx.names {
			if before[n] && !after[n] && fx.compatibleWithAll(n, ch.starts) {
				t.Errorf("%s: %s stopped although it is compatible with %s", where(), n, strings.Join(ch.starts, ", "))
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

func (fx *fixture) compatibleWithAll(n string, others []string) bool {
	for _, o := range others {
		if !fx.compat(n, o) {
			return false
		}
	}
	return true
}

func describeRunes(m *model.Manifest) string {
	parts := make([]string, len(m.Runes))
	for i, r := range m.Runes {
		parts[i] = r.Name + "=" + strings.Join(r.Covens(), "+")
	}
	return strings.Join(parts, " ")
}
