package scribe

import (
	"fmt"
	"testing"

	"github.com/lychd/lychd/internal/model/modeltest"
	"github.com/lychd/lychd/sdk/validate"
)

// BenchmarkCompile measures Codex-to-bytes compilation at 100, 1,000 and
// 10,000 soulstones (10 per coven, 40 at 10,000 to stay within the limits
// on covens and coven memberships; covens allied in pairs, every tenth
// soulstone in two covens).
func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		m := modeltest.ScaleManifest(n, max(10, n/250))
		b.Run(fmt.Sprintf("soulstones=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Compile(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompileHostile measures the worst case at the supported
// maximum: every coven hostile to every other (no alliance), names of the
// longest length. "soulstones=500" is MaxCovenSets soulstones each in a
// coven of its own; "soulstones=10000" is MaxTotalRunes soulstones in
// MaxCovens covens of 20. It reports the bytes written.
func BenchmarkCompileHostile(b *testing.B) {
	for _, tc := range []struct{ n, perCoven int }{{validate.MaxCovenSets, 1}, {validate.MaxTotalRunes, validate.MaxTotalRunes / validate.MaxCovens}} {
		m := hostileManifest(tc.n)
		for i := range m.Runes {
			m.Runes[i].Groups = []string{fmt.Sprintf("coven-with-a-name-of-the-longest-length-%023d", i/tc.perCoven)}
		}
		b.Run(fmt.Sprintf("soulstones=%d", tc.n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				out, err := Compile(m)
				if err != nil {
					b.Fatal(err)
				}
				size = 0
				for _, f := range append(append([]File(nil), out.Quadlet...), out.Systemd...) {
					size += len(f.Data)
				}
			}
			b.ReportMetric(float64(size), "bytes-written")
		})
	}
}
