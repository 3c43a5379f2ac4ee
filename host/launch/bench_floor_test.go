package launch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/lychd/lychd/internal/bench"
	"github.com/lychd/lychd/internal/testtool"
)

// BenchmarkLaunchFloor splits the cost of launching one extension against
// the floor (internal/bench, BENCHMARKS.md): one launch of the benchmark
// extension, Info, and a graceful Shutdown, one at a time:
//
//	full          Start as assimilations use it: sha256 check, user and
//	              PID namespaces, handshake
//	no-sha256     the same without the checksum
//	no-isolation  no checksum, no namespaces (process group only)
//	bare          a bare go-plugin plugin with one RPC (bench.LaunchBare)
func BenchmarkLaunchFloor(b *testing.B) {
	root, err := testtool.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	ext := filepath.Join(dir, "lychd-ext-bx00")
	bare := filepath.Join(dir, "bare")
	if err := bench.Build(root, bench.MinExtPackage, ext, "-X main.name=bx00"); err != nil {
		b.Fatal(err)
	}
	if err := bench.Build(root, bench.BarePluginPackage, bare, ""); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(ext)
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(data)
	spec := Spec{Name: "bx00", Path: ext, SHA256: hex.EncodeToString(sum[:]), StartTimeout: 10 * time.Second, Logger: hclog.NewNullLogger()}
	ctx := context.Background()
	once := func(b *testing.B, launch func() (*Process, error)) {
		for b.Loop() {
			p, err := launch()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Client.Info(ctx); err != nil {
				p.Close()
				b.Fatal(err)
			}
			p.Shutdown()
		}
	}
	b.Run("full", func(b *testing.B) { once(b, func() (*Process, error) { return Start(ctx, spec) }) })
	b.Run("no-sha256", func(b *testing.B) {
		s := spec
		s.SHA256 = ""
		once(b, func() (*Process, error) { return Start(ctx, s) })
	})
	b.Run("no-isolation", func(b *testing.B) {
		once(b, func() (*Process, error) {
			f, err := os.Open(ext)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return start(f, spec, spec.StartTimeout, spec.Logger, false)
		})
	})
	b.Run("bare", func(b *testing.B) {
		for b.Loop() {
			if err := bench.LaunchBare(ctx, []string{bare}, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}
