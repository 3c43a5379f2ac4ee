// Package matrix proves the Law of Exclusivity on a real booted systemd with
// the real Quadlet generator: the units lychd generates for a Codex with
// covens, alliances and a two-coven member are started in every order, and
// the stub podman's timestamps show that no two incompatible containers ever
// overlapped.
package matrix

import (
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/e2e"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/scribe"
)

func soul(name string, groups ...string) model.Rune {
	return model.Rune{Name: name, Kind: model.KindSoulstone, Image: "example.invalid/" + name + ":1", Groups: groups,
		Source: model.Source{Kind: model.SourceCodex, Name: "soulstones/matrix.toml"}}
}

// codex: chat={omni,qwen}, vision={omni,llava}, speech={kokoro,parler},
// xtts (coven of one) allied with chat; image={sdxl} alone.
//
//	omni is in two covens (chat and vision);
//	chat is allied with speech and with xtts.
func manifest() *model.Manifest {
	m := &model.Manifest{
		Alliances: [][]string{{"chat", "speech"}, {"chat", "xtts"}},
		Runes: []model.Rune{
			{Name: "vessel", Kind: model.KindCore, Image: "example.invalid/vessel:1", Source: model.Source{Kind: model.SourceCore, Name: "core"}},
			soul("omni", "chat", "vision"),
			soul("qwen", "chat"),
			soul("llava", "vision"),
			soul("kokoro", "speech"),
			soul("parler", "speech"),
			soul("xtts"),
			soul("sdxl", "image"),
		},
	}
	// An intra-coven ordering as in the spec's vision pipeline.
	m.Runes[4].After = []string{"lychd-soulstone-parler.service"}
	return m
}

type fixture struct {
	m       *e2e.Machine
	out     *scribe.Output
	names   []string
	covens  []string
	compat  func(a, b string) bool
	timings []time.Duration
}

func setup(t testing.TB) *fixture {
	t.Helper()
	return setupWith(t, e2e.Options{})
}

// setupWith boots a machine with opts and installs the units lychd
// generates for manifest().
func setupWith(t testing.TB, opts e2e.Options) *fixture {
	t.Helper()
	man := manifest()
	out, err := scribe.Compile(man)
	if err != nil {
		t.Fatal(err)
	}
	m := e2e.Boot(t, opts)
	install(t, m, man, out)
	m.UserDaemonReload(t)
	fx := &fixture{m: m, out: out, compat: out.Graph.Compatible}
	for _, r := range man.Runes {
		if r.Kind == model.KindSoulstone {
			fx.names = append(fx.names, r.Name)
		}
	}
	for _, c := range out.Graph.Covens() {
		if c.HasTarget {
			fx.covens = append(fx.covens, c.Name)
		}
	}
	return fx
}

// install writes the units of man (compiled into out) where Quadlet and
// systemd read them, and a generation holding the same files and the bound
// record, which lychd start and status read (a bind would link the units
// to that generation instead of copying them).
func install(t testing.TB, m *e2e.Machine, man *model.Manifest, out *scribe.Output) {
	t.Helper()
	const gen = "/root/.local/share/lychd/bindings/current"
	quadlet, systemd := map[string][]byte{}, map[string][]byte{}
	for _, f := range out.Quadlet {
		m.WriteFile(t, path.Join(e2e.QuadletUnitDir, "lychd", f.Name), string(f.Data))
		m.WriteFile(t, path.Join(gen, bound.QuadletDir, f.Name), string(f.Data))
		quadlet[f.Name] = f.Data
	}
	for _, f := range out.Systemd {
		m.WriteFile(t, path.Join(e2e.SystemdUserUnitDir, f.Name), string(f.Data))
		m.WriteFile(t, path.Join(gen, bound.SystemdDir, f.Name), string(f.Data))
		systemd[f.Name] = f.Data
	}
	record, err := bound.New(man, out.Graph, quadlet, systemd, nil, out.Holds, bound.Inputs{}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m.WriteFile(t, path.Join(gen, bound.FileName), string(record))
}

func svc(n string) string    { return "lychd-soulstone-" + n + ".service" }
func target(c string) string { return "lychd-coven-" + c + ".target" }

func (fx *fixture) active(t testing.TB, unit string) bool {
	t.Helper()
	out, _, _ := fx.m.UserRun(t, "systemctl", "--user", "is-active", unit)
	return strings.TrimSpace(out) == "active"
}

func (fx *fixture) start(t testing.TB, unit string) {
	t.Helper()
	t0 := time.Now()
	fx.m.MustUserRun(t, "systemctl", "--user", "start", unit)
	fx.timings = append(fx.timings, time.Since(t0))
	fx.settle(t)
}

// settle waits until the user manager has no job left. systemctl start
// waits for the job of the unit it names; a unit pulled in by Requires=
// without an After= edge starts beside it and may still be activating.
func (fx *fixture) settle(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		jobs := strings.TrimSpace(fx.m.MustUserRun(t, "systemctl", "--user", "list-jobs", "--no-legend"))
		if jobs == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the user manager still has jobs 30 s after a start:\n%s", jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reset stops every soulstone and coven target.
func (fx *fixture) reset(t testing.TB) {
	t.Helper()
	args := []string{"systemctl", "--user", "stop"}
	for _, n := range fx.names {
		args = append(args, svc(n))
	}
	for _, c := range fx.covens {
		args = append(args, target(c))
	}
	fx.m.MustUserRun(t, args...)
}

// states asks systemd for the active state of every soulstone at once.
func (fx *fixture) states(t testing.TB) map[string]bool {
	t.Helper()
	args := []string{"systemctl", "--user", "is-active"}
	for _, n := range fx.names {
		args = append(args, svc(n))
	}
	out, _, _ := fx.m.UserRun(t, args...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(fx.names) {
		t.Fatalf("systemctl is-active printed %d lines for %d units:\n%s", len(lines), len(fx.names), out)
	}
	act := map[string]bool{}
	for i, n := range fx.names {
		act[n] = lines[i] == "active"
	}
	return act
}

// checkInvariant fails when two incompatible soulstones are active.
func (fx *fixture) checkInvariant(t testing.TB, what string) {
	t.Helper()
	act := fx.states(t)
	for _, a := range fx.names {
		for _, b := range fx.names {
			if a < b && act[a] && act[b] && !fx.compat(a, b) {
				t.Errorf("%s: incompatible %s and %s are both active", what, a, b)
			}
		}
	}
}

// checkNoOverlap proves from the stub's timestamps that no two incompatible
// containers ever held resources at the same time.
func (fx *fixture) checkNoOverlap(t testing.TB) {
	t.Helper()
	log := fx.m.PodmanLog(t)
	for _, a := range fx.names {
		for _, b := range fx.names {
			if a < b && !fx.compat(a, b) {
				if o := e2e.Overlaps(log, svc(a), svc(b)); len(o) > 0 {
					t.Errorf("VRAM overlap: %v", o)
				}
			}
		}
	}
	swaps := 0
	for _, l := range e2e.Lifetimes(log) {
		if l.Stopped != 0 {
			swaps++
		}
	}
	t.Logf("stub podman saw %d container runs, %d stopped; no incompatible overlap", len(e2e.Lifetimes(log)), swaps)
}

func TestEveryOrderedPair(t *testing.T) {
	fx := setup(t)
	for _, x := range fx.names {
		for _, y := range fx.names {
			if x == y {
				continue
			}
			fx.reset(t)
			fx.start(t, svc(x))
			fx.start(t, svc(y))
			want := fx.compat(x, y)
			act := fx.states(t)
			if got := act[x]; got != want {
				t.Errorf("start %s then %s: %s active=%v, want %v", x, y, x, got, want)
			}
			if !act[y] {
				t.Errorf("start %s then %s: %s is not active", x, y, y)
			}
			fx.checkInvariant(t, fmt.Sprintf("start %s then %s", x, y))
		}
	}
	// Coven targets, both ways round.
	for _, c := range fx.covens {
		members := fx.out.Graph.Coven(c).Members
		for _, x := range fx.names {
			fx.reset(t)
			fx.start(t, svc(x))
			fx.start(t, target(c))
			want := true
			act := fx.states(t)
			for _, mem := range members {
				if !fx.compat(x, mem) {
					want = false
				}
				if !act[mem] {
					t.Errorf("start %s then coven %s: member %s is not active", x, c, mem)
				}
			}
			if got := act[x]; got != want {
				t.Errorf("start %s then coven %s: %s active=%v, want %v", x, c, x, got, want)
			}
			fx.checkInvariant(t, fmt.Sprintf("start %s then coven %s", x, c))

			fx.reset(t)
			fx.start(t, target(c))
			fx.start(t, svc(x))
			act = fx.states(t)
			for _, mem := range members {
				if got, want := act[mem], fx.compat(x, mem); got != want {
					t.Errorf("start coven %s then %s: member %s active=%v, want %v", c, x, mem, got, want)
				}
			}
			fx.checkInvariant(t, fmt.Sprintf("start coven %s then %s", c, x))
		}
	}
	// The pod and default.target start the core, never a soulstone, and
	// leave running soulstones alone.
	for _, u := range []string{"lychd-pod.service", "default.target"} {
		fx.reset(t)
		fx.start(t, svc("omni"))
		fx.start(t, u)
		if !fx.active(t, svc("omni")) {
			t.Errorf("starting %s stopped omni", u)
		}
		if !fx.active(t, "lychd-vessel.service") {
			t.Errorf("starting %s did not start the core vessel", u)
		}
		for _, n := range fx.names {
			if n != "omni" && fx.active(t, svc(n)) {
				t.Errorf("starting %s started soulstone %s", u, n)
			}
		}
	}
	fx.checkNoOverlap(t)
	var total time.Duration
	for _, d := range fx.timings {
		total += d
	}
	t.Logf("%d systemctl starts, mean %v", len(fx.timings), total/time.Duration(len(fx.timings)))
}

func TestReanimation(t *testing.T) {
	fx := setup(t)
	fx.start(t, target("speech"))
	before := len(e2e.Lifetimes(fx.m.PodmanLog(t)))
	fx.m.MustUserRun(t, "systemctl", "--user", "kill", "--signal=SIGKILL", svc("kokoro"))
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs := 0
		for _, l := range e2e.Lifetimes(fx.m.PodmanLog(t)) {
			if l.Unit == svc("kokoro") && l.Started != 0 {
				runs++
			}
		}
		if runs >= 2 && fx.active(t, svc("kokoro")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("killed kokoro was not reanimated by Restart=always (runs %d, total before %d)", runs, before)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A stopped coven stays stopped: once the manager has no job left, its
	// members are dead, not waiting in auto-restart for Restart= to bring
	// them back.
	fx.m.MustUserRun(t, "systemctl", "--user", "stop", target("speech"))
	fx.settle(t)
	for _, n := range []string{"kokoro", "parler"} {
		if sub := strings.TrimSpace(fx.m.MustUserRun(t, "systemctl", "--user", "show", "-p", "SubState", "--value", svc(n))); sub != "dead" {
			t.Errorf("%s is %q after its coven was stopped, want dead (not auto-restart)", n, sub)
		}
	}
}

// TestRestartDisplacedCoven: a coven target stays active while one of its
// members still runs (omni, allied with chat); starting the target again must
// bring back the member an enemy displaced (llava), stopping that enemy.
func TestRestartDisplacedCoven(t *testing.T) {
	fx := setup(t)
	fx.start(t, target("vision"))
	fx.start(t, svc("qwen"))
	act := fx.states(t)
	if act["llava"] || !act["omni"] || !act["qwen"] {
		t.Fatalf("after vision then qwen: %v, want llava stopped, omni and qwen running", act)
	}
	if !fx.active(t, target("vision")) {
		t.Fatalf("coven vision went inactive although omni still runs")
	}
	fx.start(t, target("vision"))
	act = fx.states(t)
	if !act["llava"] || !act["omni"] || act["qwen"] {
		t.Errorf("after starting vision again: %v, want llava and omni running, qwen stopped", act)
	}
	fx.checkInvariant(t, "restart of a displaced coven")
	fx.checkNoOverlap(t)
}

// TestRapidSwapsKeepTheHold swaps a two-member class (kokoro, parler, whose
// hold target starts at every swap) with rotating enemies: the hold starts 7
// times in a few seconds, more than systemd's default start rate limit (5 in
// 10 s) allows a service. The hold must start every time and no incompatible
// pair may overlap. (systemd 252 did not rate-limit the target even without
// the StartLimitIntervalSec=0 lychd writes; the setting guards other
// versions, and Requires= makes a member fail rather than run without it.)
func TestRapidSwapsKeepTheHold(t *testing.T) {
	fx := setup(t)
	fx.m.MustUserRun(t, "systemctl", "--user", "set-environment", "LYCHD_STUB_PODMAN_STOP_DELAY=50ms")
	seq := []string{"kokoro", "sdxl", "parler", "xtts", "kokoro", "llava", "parler", "sdxl", "kokoro", "xtts", "parler", "llava", "kokoro"}
	t0 := time.Now()
	for _, n := range seq {
		fx.start(t, svc(n))
		if !fx.active(t, svc(n)) {
			t.Fatalf("%s did not start", n)
		}
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Logf("sequence took %v: longer than the rate-limit window, the test proves less", d)
	}
	if !fx.active(t, "lychd-hold-speech.target") {
		t.Errorf("kokoro runs without its hold target")
	}
	fx.checkInvariant(t, "rapid swaps")
	fx.checkNoOverlap(t)
}
