package realpodman

import (
	"path"
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

// BenchmarkSwapToReady times two swaps that displace soulstones which each
// take stopDelay to stop, to ready (the start job done), against their
// floor measured in the same iteration: the stop of one such soulstone
// alone plus the newcomer's start alone.
//
//   - lychd: `lychd start delta` with the coven alpha running (three
//     members displaced); floor: one member's stop alone plus `lychd start
//     delta` with no soulstone running.
//   - target: `systemctl --user start lychd-coven-beta.target` with alpha
//     running (a1 and a2 displaced, bridge stays, b1 starts); floor: one
//     member's stop alone plus the same start with only bridge running.
//
// For comparison it also times the lychd swap with Quadlet's stop path
// alone (quadlet-s): a drop-in on alpha's members resets their ExecStop= to
// Quadlet's `podman rm -f` only, as lychd bound them before its own
// `podman stop` came first.
//
// It reports each swap, its floor and the excess (swap minus floor) in
// seconds per iteration, and the CPU time the user manager's processes
// (Podman, conmon, the containers) used during the lychd swap, the stop
// alone and delta's start alone (Bed.UserCPU): what the displaced
// soulstones' stops share on a machine of few CPUs.
func BenchmarkSwapToReady(b *testing.B) {
	bd := bed(b)
	swapBed(b, bd)
	var swapLychd, swapTarget, stopAlone, startDelta, startB1, swapQuadlet time.Duration
	var cpuLychd, cpuStop, cpuStart time.Duration
	members := []string{"a1", "a2", "bridge"}
	dropIn := func(m string) string {
		return Home + "/.config/systemd/user/lychd-soulstone-" + m + ".service.d/quadlet-stop.conf"
	}
	timed := func(f func()) time.Duration {
		t0 := time.Now()
		f()
		return time.Since(t0)
	}
	// used is the CPU time the user manager's processes used during f,
	// read before and after what f times.
	used := func(f func()) time.Duration {
		before := bd.UserCPU(b)
		f()
		return bd.UserCPU(b) - before
	}
	running := func(want ...string) {
		b.Helper()
		if got := runningSoulstones(bd.Containers(b)); !slices.Equal(got, want) {
			b.Fatalf("running soulstones = %v, want %v", got, want)
		}
	}
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		bd.MustLychd(b, "start", "alpha")
		running("a1", "a2", "bridge")
		cpuLychd += used(func() { swapLychd += timed(func() { bd.MustLychd(b, "start", "delta") }) })
		running("delta")

		bd.MustLychd(b, "start", "alpha")
		running("a1", "a2", "bridge")
		swapTarget += timed(func() { bd.Systemctl(b, "start", "lychd-coven-beta.target") })
		running("b1", "bridge")

		cpuStop += used(func() { stopAlone += timed(func() { bd.Systemctl(b, "stop", "lychd-soulstone-b1.service") }) })
		running("bridge")
		startB1 += timed(func() { bd.Systemctl(b, "start", "lychd-coven-beta.target") })
		running("b1", "bridge")

		bd.Systemctl(b, "stop", "lychd-soulstone-b1.service", "lychd-soulstone-bridge.service")
		running()
		cpuStart += used(func() { startDelta += timed(func() { bd.MustLychd(b, "start", "delta") }) })
		running("delta")

		for _, m := range members {
			bd.WriteUserFile(b, dropIn(m), "[Service]\nExecStop=\nExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid\n")
		}
		bd.Systemctl(b, "daemon-reload")
		bd.MustLychd(b, "start", "alpha")
		running("a1", "a2", "bridge")
		swapQuadlet += timed(func() { bd.MustLychd(b, "start", "delta") })
		running("delta")
		for _, m := range members {
			bd.MustUser(b, "rm", "-r", path.Dir(dropIn(m)))
		}
		bd.Systemctl(b, "daemon-reload")
	}
	n := float64(b.N)
	s := func(d time.Duration) float64 { return d.Seconds() / n }
	floorLychd, floorTarget := stopAlone+startDelta, stopAlone+startB1
	b.ReportMetric(s(swapLychd), "lychd-s")
	b.ReportMetric(s(floorLychd), "lychd-floor-s")
	b.ReportMetric(s(swapLychd-floorLychd), "lychd-excess-s")
	b.ReportMetric(s(swapTarget), "target-s")
	b.ReportMetric(s(floorTarget), "target-floor-s")
	b.ReportMetric(s(swapTarget-floorTarget), "target-excess-s")
	b.ReportMetric(s(stopAlone), "stop-s")
	b.ReportMetric(s(swapQuadlet), "quadlet-s")
	b.ReportMetric(s(cpuLychd), "lychd-cpu-s")
	b.ReportMetric(s(cpuStop), "stop-cpu-s")
	b.ReportMetric(s(cpuStart), "start-cpu-s")
}
