package host

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/sdk/wire"
)

// benchDir installs n copies of the minimal extension, named m0..m(n-1).
func benchDir(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(tempDir(b), "ext")
	for i := range n {
		plant(b, dir, "minimal", fmt.Sprintf("m%d", i))
	}
	return dir
}

// BenchmarkAssimilate measures a full assimilation of N copies of the
// minimal extension (verify, launch, Info, Assimilate, validate, kill),
// without and with the registration cache. Compare with
// BenchmarkBareGoPlugin, the floor for the same binaries.
func BenchmarkAssimilate(b *testing.B) {
	for _, n := range []int{1, 8, 32} {
		for _, cached := range []bool{false, true} {
			b.Run(fmt.Sprintf("N=%d/cache=%v", n, cached), func(b *testing.B) {
				dir := benchDir(b, n)
				opts := Options{ExtensionsDir: dir, NoCache: !cached, CacheDir: filepath.Join(filepath.Dir(dir), "cache")}
				if _, err := Assimilate(context.Background(), opts); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for b.Loop() {
					res, err := Assimilate(context.Background(), opts)
					if err != nil {
						b.Fatal(err)
					}
					if len(res.Runes) != n {
						b.Fatalf("%d runes, want %d", len(res.Runes), n)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n)/1000, "ms/ext")
			})
		}
	}
}

// BenchmarkBareGoPlugin is the floor: the same binaries launched with a
// plain go-plugin client (no checksum, no process group, no Sink), four at
// a time, each answering one RPC (Info) and killed.
func BenchmarkBareGoPlugin(b *testing.B) {
	for _, n := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			dir := benchDir(b, n)
			for b.Loop() {
				sem := make(chan struct{}, codex.DefaultParallel)
				var wg sync.WaitGroup
				errs := make([]error, n)
				for i := range n {
					sem <- struct{}{}
					wg.Add(1)
					go func() {
						defer wg.Done()
						defer func() { <-sem }()
						name := fmt.Sprintf("m%d", i)
						cfg := wire.ClientConfig(exec.Command(filepath.Join(dir, name, BinaryPrefix+name)), hclog.NewNullLogger())
						c := plugin.NewClient(cfg)
						defer c.Kill()
						cl, err := wire.Dispense(c)
						if err == nil {
							_, err = cl.Info(context.Background())
						}
						errs[i] = err
					}()
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n)/1000, "ms/ext")
		})
	}
}
