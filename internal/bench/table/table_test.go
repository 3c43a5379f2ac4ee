package table

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/lychd/lychd/internal/bench
BenchmarkBindCold32-2   	       1	2193298089 ns/op	      2000 bind-ms	       1000 floor-ms	        20 lychd-peak-MB	        32.00 launches	         2.0 x-floor
BenchmarkBindCold32-2   	       1	2193298089 ns/op	      3000 bind-ms	       1000 floor-ms	        22 lychd-peak-MB	        32.00 launches	         3.0 x-floor
BenchmarkBindCold32-2   	       1	2193298089 ns/op	      1500 bind-ms	       1000 floor-ms	        21 lychd-peak-MB	        32.00 launches	         1.5 x-floor
BenchmarkBindWarm32-2   	       1	  81235063 ns/op	        25 bind-ms	         0 files-written	        16.26 host-peak-MB	         0 launches	         0 reloads
BenchmarkBindWarm32-2   	       1	  81235063 ns/op	        27 bind-ms	         0 files-written	        16.26 host-peak-MB	         0 launches	         0 reloads
BenchmarkScribe/soulstones=100-2         	       1	 104207753 ns/op	       200 quadlet-ms	       100 scribe-ms	         0.5 x-floor
BenchmarkScribe/soulstones=1000-2        	       1	 670540845 ns/op	      2000 quadlet-ms	       1000 scribe-ms	         0.5 x-floor
--- FAIL: BenchmarkScribe/soulstones=10000
BenchmarkAnalyze/soulstones=1000-2   	       1	1500000000 ns/op	      1101 units
BenchmarkSwapLatency-2   	       1	5923707305 ns/op	        53.40 added-ms	       174.1 lychd-ms	        20.00 swaps	       120.7 systemctl-ms
BenchmarkStatusLarge-2   	       1	4555634262 ns/op	      1000 soulstones	       532.7 start-ms	       873.6 status-ms
BenchmarkSwapToReady-2    	       1	       881.0 ns/op	         0.4732 lychd-excess-s	         5.646 lychd-floor-s	         6.119 lychd-s	         4.227 stop-s	         0.6 target-excess-s	         5.591 target-floor-s	         6.191 target-s	        12.5 quadlet-s
PASS
`

func TestParseAndMedian(t *testing.T) {
	r, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, unit string
		want       float64
	}{
		{Cold, "bind-ms", 2000},
		{Cold, "x-floor", 2},
		{Warm, "bind-ms", 26},
		{Scribe + "1000", "scribe-ms", 1000},
		{Analyze + "1000", "ns/op", 1.5e9},
	} {
		if got, ok := r.Median(c.name, c.unit); !ok || got != c.want {
			t.Errorf("Median(%s, %s) = %v, %v; want %v", c.name, c.unit, got, ok, c.want)
		}
	}
	if _, ok := r.Median(Scribe+"10000", "scribe-ms"); ok {
		t.Error("a failed benchmark has a median")
	}
}

func TestParseMalformed(t *testing.T) {
	_, err := Parse(strings.NewReader("BenchmarkX-2 1 12 ns/op 3\n"))
	want := `benchmark output line 1: want NAME ITERATIONS then VALUE UNIT pairs, got "BenchmarkX-2 1 12 ns/op 3"`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestRender(t *testing.T) {
	r, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Render(&b, Rows(r)); err != nil {
		t.Fatal(err)
	}
	want := `| what | median | floor | ratio | target | met |
|---|---|---|---|---|---|
| bind, 32 extensions, cold (empty cache) [n=3] | 2.00 s | 1.00 s: 32 bare go-plugin plugins launched, 4 at a time, 1 RPC each, same iteration | 2.00x | ≤ 1.5x | **no** |
| bind, 32 extensions, warm (cache valid) [n=2] | 26.0 ms, 0 processes launched (max) | — | — | < 60 ms, 0 processes launched | yes |
| Scribe, 100 soulstones: Codex -> files on disk (compile + durable site.Apply) [n=1] | 100 ms | 200 ms: Quadlet generator over the same files | 0.50x | ~linear growth (≤ 12x per 10x) | yes |
| Scribe, 1000 soulstones: Codex -> files on disk (compile + durable site.Apply) [n=1] | 1.00 s; 10.0x the time of 100 (10x the soulstones) | 2.00 s: Quadlet generator over the same files | 0.50x | < 1x | yes |
| Scribe, 10000 soulstones: Codex -> files on disk (compile + durable site.Apply) [n=0] | not run | not run | not run | ~linear growth (≤ 12x per 10x) | — |
| systemd-analyze --user verify of the 1,000-soulstone units (1101 units; Quadlet generation not included) [n=1] | 1.50 s | — | — | < 2 s | yes |
| re-bind with no change: files written, reloads (max over runs) | 0 / 0 | — | — | 0 / 0 | yes |
| peak RSS of ` + "`lychd bind`" + ` with 32 extensions, cold (VmHWM of lychd; extensions excluded) | 21.0 MB (max 22.0 MB) | — | — | < 64 MB | yes |
| diagnostic, cold bind: launch time per extension as lychd reports it (checksum + start + handshake); sha256 of the 32 installed binaries, one after the other | not run; not run | — | — | — | — |
| diagnostic, warm bind: ` + "`lychd --help`" + ` in the same iteration (process start alone) | not run | — | — | — | — |
| diagnostic, one extension launch + Info + shutdown, alone (host/launch BenchmarkLaunchFloor) | full not run, no-sha256 not run, no-isolation not run, bare not run | — | — | — | — |
| coven swap on a booted systemd: ` + "`lychd start` vs `systemctl --user start`" + ` of the same unit, interleaved, stub stop delay 0 s (20 swaps each per run) [n=1] | 174 ms; lychd adds 53.4 ms | 121 ms: ` + "`systemctl --user start`" + `, same swaps | 1.44x | report (no target) | — |
| ` + "`lychd status`" + ` on a booted systemd, 1000 soulstones, nothing running (no unit loaded), median of 5 per run [n=1] | 874 ms | 533 ms: one cold ` + "`systemctl --user start`" + ` of a soulstone (loads the same graph once) | 1.64x | report (no target) | — |
| swap to ready on real rootless Podman, each displaced soulstone taking 2 s to stop: ` + "`lychd start delta`" + ` displacing the coven alpha (3 soulstones) [n=1] | 6.12 s; with Quadlet's stop path alone 12.50 s | 5.65 s: one displaced soulstone's stop alone (4.23 s) + ` + "`lychd start delta`" + ` with no soulstone running, same iteration | +0.47 s (median excess) | ≤ floor + 0.5 s | yes |
| swap to ready on real rootless Podman, each displaced soulstone taking 2 s to stop: ` + "`systemctl --user start lychd-coven-beta.target`" + ` displacing 2 of alpha's 3 soulstones [n=1] | 6.19 s | 5.59 s: one displaced soulstone's stop alone (4.23 s) + the same start with only the shared member running, same iteration | +0.60 s (median excess) | ≤ floor + 0.5 s | **no** |
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}
