package scribe

import (
	"fmt"
	"testing"

	"github.com/lychd/lychd/internal/model/modeltest"
)

// BenchmarkCompile measures Codex-to-bytes compilation at 100, 1,000 and
// 10,000 soulstones (10 per coven, allied in pairs, every tenth in two
// covens).
func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		m := modeltest.ScaleManifest(n, 10)
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
