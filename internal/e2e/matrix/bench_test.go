package matrix

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/e2e"
	"github.com/lychd/lychd/internal/model/modeltest"
	"github.com/lychd/lychd/internal/scribe"
)

// swapsPerRun is how many swaps each of `lychd start` and bare
// `systemctl --user start` makes in one benchmark iteration.
const swapsPerRun = 20

// BenchmarkSwapLatency measures what `lychd start` adds to a coven swap over
// a bare `systemctl --user start` of the same unit, on a booted systemd with
// the units lychd generates for the matrix Codex and the stub podman stopping
// instantly (LYCHD_STUB_PODMAN_STOP_DELAY=0s), so that the figures are
// systemd's, Quadlet's services' and the caller's own cost.
//
// One iteration swaps the coven vision (its target: omni and llava) and the
// soulstone sdxl, hostile to both, swapsPerRun times with each tool,
// interleaved pair by pair and alternating which tool goes first, so that
// machine noise falls on both alike. Both run through the same nsenter into
// the machine and wait for the whole transaction (systemctl's default
// --job-mode=replace and blocking wait; lychd follows every job over
// D-Bus). It reports the medians per swap: lychd-ms, systemctl-ms and
// added-ms (their difference), and fails if an incompatible pair ever
// overlapped according to the stub's timestamps.
//
// Run it with -benchtime 1x; scripts/bench.sh does.
func BenchmarkSwapLatency(b *testing.B) {
	lychd, err := e2e.BuildLychdTo(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	fx := setupWith(b, e2e.Options{Lychd: lychd})
	fx.m.MustUserRun(b, "systemctl", "--user", "set-environment", "LYCHD_STUB_PODMAN_STOP_DELAY=0s")

	type tool struct {
		name string
		argv func(name, unit string) []string
		took []time.Duration
	}
	tools := []*tool{
		{name: "lychd", argv: func(name, _ string) []string { return []string{e2e.LychdPath, "start", name} }},
		{name: "systemctl", argv: func(_, unit string) []string { return []string{"systemctl", "--user", "start", unit} }},
	}
	// Each swap starts one side while the other runs.
	sides := []struct{ name, unit string }{{"vision", target("vision")}, {"sdxl", svc("sdxl")}}
	swap := func(tl *tool, i int) {
		s := sides[i%2]
		t0 := time.Now()
		fx.m.MustUserRun(b, tl.argv(s.name, s.unit)...)
		tl.took = append(tl.took, time.Since(t0))
	}
	// Warm up both paths (first D-Bus connection, page cache of both
	// binaries) and leave sdxl running, so that the first swap starts vision.
	for _, tl := range tools {
		swap(tl, 0)
		swap(tl, 1)
		tl.took = nil
	}

	b.ResetTimer()
	for range b.N {
		for i := 0; i < swapsPerRun; i += 2 {
			order := tools
			if (i/2)%2 == 1 {
				order = []*tool{tools[1], tools[0]}
			}
			// A pair of swaps per tool returns to the same state (sdxl
			// running), so each tool meets the same transactions.
			for _, tl := range order {
				swap(tl, i)
				swap(tl, i+1)
			}
		}
	}
	b.StopTimer()

	if !fx.active(b, svc("sdxl")) || fx.active(b, svc("omni")) || fx.active(b, svc("llava")) {
		b.Fatalf("after the swaps: want sdxl running alone, got %v", fx.states(b))
	}
	fx.checkNoOverlap(b)
	l, s := median(tools[0].took), median(tools[1].took)
	b.ReportMetric(ms(l), "lychd-ms")
	b.ReportMetric(ms(s), "systemctl-ms")
	b.ReportMetric(ms(l-s), "added-ms")
	b.ReportMetric(float64(len(tools[0].took)), "swaps")
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkStatusLarge measures `lychd status` on a booted systemd holding
// the units lychd generates for 1,000 soulstones (100 covens of 10, the
// scale manifest of the Scribe benchmarks), with nothing running, so that
// systemd keeps none of them loaded: the case where reading each unit made
// systemd load the whole graph again (49.7 s for 300 soulstones before
// status stopped reading inactive units); status reads the covens from the
// bound record. Reports the
// median of statusRuns runs (status-ms) and, as a reference, one bare
// `systemctl --user start` of a soulstone from the same cold state
// (start-ms): both load the whole graph once.
//
// Run it with -benchtime 1x; scripts/bench.sh does.
func BenchmarkStatusLarge(b *testing.B) {
	const soulstones, statusRuns = 1000, 5
	lychd, err := e2e.BuildLychdTo(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	man := modeltest.ScaleManifest(soulstones, 10)
	out, err := scribe.Compile(man)
	if err != nil {
		b.Fatal(err)
	}
	m := e2e.Boot(b, e2e.Options{Lychd: lychd})
	install(b, m, man, out)
	m.UserDaemonReload(b)
	var took []time.Duration
	b.ResetTimer()
	for range b.N {
		for range statusRuns {
			t0 := time.Now()
			report := m.MustUserRun(b, e2e.LychdPath, "status")
			took = append(took, time.Since(t0))
			if !strings.Contains(report, "lychd-soulstone-s999.service") {
				b.Fatalf("status does not list the last soulstone:\n%s", report)
			}
		}
	}
	b.StopTimer()
	t0 := time.Now()
	m.MustUserRun(b, "systemctl", "--user", "start", svc("s5"))
	start := time.Since(t0)
	b.ReportMetric(ms(median(took)), "status-ms")
	b.ReportMetric(ms(start), "start-ms")
	b.ReportMetric(float64(soulstones), "soulstones")
}
