package scribe

import (
	"context"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/model/modeltest"
	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/verify"
)

// TestScaleVerify compiles 1,000 soulstones in 100 covens and checks that
// real Quadlet and systemd-analyze accept them; it logs their timings (the
// benchmarks measure them properly).
func TestScaleVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test skipped with -short")
	}
	quadlet := testtool.Quadlet(t)
	testtool.SystemdAnalyze(t)
	m := modeltest.ScaleManifest(1000, 10)
	t0 := time.Now()
	out, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compile: %v, %d quadlet files, %d targets, %d edges", time.Since(t0), len(out.Quadlet), len(out.Systemd), countEdges(out))
	d := writeOut(t, out)
	t0 = time.Now()
	if err := verify.SystemdVerify(context.Background(), quadlet, d); err != nil {
		t.Fatal(err)
	}
	t.Logf("quadlet generate + systemd-analyze verify: %v", time.Since(t0))
}

func countEdges(out *Output) int {
	n := 0
	for _, f := range append(append([]File(nil), out.Quadlet...), out.Systemd...) {
		for _, line := range splitLines(f.Data) {
			for _, k := range []string{"Wants=", "Requires=", "After=", "PartOf=", "Conflicts="} {
				if len(line) > len(k) && line[:len(k)] == k {
					n += len(fieldsOf(line[len(k):]))
				}
			}
		}
	}
	return n
}

func splitLines(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return out
}

func fieldsOf(s string) []string {
	var out []string
	cur := ""
	for _, c := range s {
		if c == ' ' {
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
			continue
		}
		cur += string(c)
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}
