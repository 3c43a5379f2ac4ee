package site

import (
	"fmt"
	"testing"
)

// bigGen has n files: 1 pod, n-1-n/20 containers and n/20 targets.
func bigGen(n int, version string) Generation {
	g := Generation{Quadlet: []File{{Name: "lychd.pod", Data: []byte("[Pod]\nPodName=lychd\n")}}}
	targets := n / 20
	for i := range n - 1 - targets {
		g.Quadlet = append(g.Quadlet, File{
			Name: fmt.Sprintf("lychd-soulstone-%04d.container", i),
			Data: fmt.Appendf(nil, "[Unit]\nDescription=soulstone %d %s\n\n[Container]\nImage=registry.example/img:%d\nPod=lychd.pod\nStartWithPod=false\n", i, version, i),
		})
	}
	for i := range targets {
		g.Systemd = append(g.Systemd, File{
			Name: fmt.Sprintf("lychd-coven-%04d.target", i),
			Data: fmt.Appendf(nil, "[Unit]\nDescription=coven %d %s\n", i, version),
		})
	}
	return g
}

// benchApply measures Apply of 1,000 files on disk (BenchmarkApply*) or on
// tmpfs (*Tmpfs, which shows the cost without fsync).
func benchApply(b *testing.B, home func() string, prepare func(*Site)) {
	g := bigGen(1000, "v1")
	for b.Loop() {
		b.StopTimer()
		s := siteAt(home())
		if prepare != nil {
			prepare(s)
		}
		b.StartTimer()
		if _, err := s.Apply(ctx, g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApplyCold1000(b *testing.B) {
	benchApply(b, b.TempDir, nil)
}

func BenchmarkApplyCold1000Tmpfs(b *testing.B) {
	benchApply(b, func() string { return fastHome(b) }, nil)
}

func BenchmarkApplyChanged1000(b *testing.B) {
	benchApply(b, b.TempDir, func(s *Site) {
		if _, err := s.Apply(ctx, bigGen(1000, "v0")); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkApplyNoChange1000(b *testing.B) {
	s := siteAt(b.TempDir())
	g := bigGen(1000, "v1")
	if _, err := s.Apply(ctx, g); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p, err := s.Apply(ctx, g)
		if err != nil {
			b.Fatal(err)
		}
		if !p.Empty() {
			b.Fatal("no-change Apply planned changes")
		}
	}
}
