package e2e

import (
	"testing"
	"time"
)

// BenchmarkSwap measures one coven swap on a booted systemd: `lychd start`
// of a soulstone that conflicts with the running one (stop, then start),
// with the stub podman stopping instantly, so that the figure is systemd's,
// Quadlet's service and lychd's own overhead. Boot and reload times are
// reported as extra metrics.
func BenchmarkSwap(b *testing.B) {
	m := Boot(b, shared(b))
	for p, c := range lychdUnits {
		m.WriteFile(b, p, c)
	}
	reload := m.UserDaemonReload(b)
	m.MustUserRun(b, "systemctl", "--user", "set-environment", "LYCHD_STUB_PODMAN_STOP_DELAY=0s")
	m.MustUserRun(b, LychdPath, "start", "hermes")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next := "vision"
		if i%2 == 1 {
			next = "hermes"
		}
		m.MustUserRun(b, LychdPath, "start", next)
	}
	b.StopTimer()
	b.ReportMetric(float64(m.BootTime)/float64(time.Millisecond), "boot-ms")
	b.ReportMetric(float64(reload)/float64(time.Millisecond), "reload-ms")
}
