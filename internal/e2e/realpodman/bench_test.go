package realpodman

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkHostileStart times displacing the coven alpha (three soulstones
// that each take 2 s to stop) by the hostile soulstone delta, once with
// `lychd start delta` and once with a bare `systemctl --user start` of its
// unit, alternating, from the same state. It reports both and their ratio.
func BenchmarkHostileStart(b *testing.B) {
	bd := bed(b)
	swapBed(b, bd)
	var viaLychd, viaSystemctl time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, useLychd := range []bool{i%2 == 0, i%2 != 0} {
			b.StopTimer()
			bd.MustLychd(b, "start", "alpha")
			if got := runningSoulstones(bd.Containers(b)); !slices.Equal(got, []string{"a1", "a2", "bridge"}) {
				b.Fatalf("before the start: running soulstones = %v", got)
			}
			b.StartTimer()
			t0 := time.Now()
			if useLychd {
				bd.MustLychd(b, "start", "delta")
				viaLychd += time.Since(t0)
			} else {
				bd.Systemctl(b, "start", "lychd-soulstone-delta.service")
				viaSystemctl += time.Since(t0)
			}
			b.StopTimer()
			if got := runningSoulstones(bd.Containers(b)); !slices.Equal(got, []string{"delta"}) {
				b.Fatalf("after the start: running soulstones = %v", got)
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(viaLychd.Seconds()/n, "lychd-s/op")
	b.ReportMetric(viaSystemctl.Seconds()/n, "systemctl-s/op")
	b.ReportMetric(viaLychd.Seconds()/viaSystemctl.Seconds(), "lychd/systemctl")
}

// BenchmarkCovenColdStart times `lychd start alpha` with nothing running
// (the pod stopped, images present): the pod, the three core runes and the
// coven's three soulstones start.
func BenchmarkCovenColdStart(b *testing.B) {
	bd := bed(b)
	swapBed(b, bd)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bd.Systemctl(b, "stop", "lychd-pod.service")
		if got := Running(bd.Containers(b)); len(got) != 0 {
			b.Fatalf("before the start: running containers = %v", got)
		}
		b.StartTimer()
		bd.MustLychd(b, "start", "alpha")
		b.StopTimer()
		want := []string{"lychd-infra", "lychd-oculus", "lychd-phylactery", "lychd-soulstone-a1", "lychd-soulstone-a2", "lychd-soulstone-bridge", "lychd-vessel"}
		if got := Running(bd.Containers(b)); !slices.Equal(got, want) {
			b.Fatalf("after the start: running containers = %v, want %v", got, want)
		}
		b.StartTimer()
	}
}
