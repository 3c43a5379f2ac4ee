package scribe

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/verify"
)

// ScaleManifest is n soulstones spread over covens of perCoven members, with
// every tenth soulstone also in the next coven (two-coven members) and
// covens allied in pairs (2k, 2k+1).
func ScaleManifest(n, perCoven int) *model.Manifest {
	m := &model.Manifest{}
	covens := (n + perCoven - 1) / perCoven
	for i := 0; i < n; i++ {
		c := i / perCoven
		r := model.Rune{Name: fmt.Sprintf("s%d", i), Kind: model.KindSoulstone, Image: "ghcr.io/example/engine:1", Port: 8081,
			Groups: []string{fmt.Sprintf("c%d", c)}, Source: model.Source{Kind: model.SourceCodex, Name: "soulstones/scale.toml", Line: i + 1}}
		if i%10 == 9 && c+1 < covens {
			r.Groups = append(r.Groups, fmt.Sprintf("c%d", c+1))
			r.Port = 0 // it may run with both covens
		}
		m.Runes = append(m.Runes, r)
	}
	for c := 0; c+1 < covens; c += 2 {
		m.Alliances = append(m.Alliances, []string{fmt.Sprintf("c%d", c), fmt.Sprintf("c%d", c+1)})
	}
	// Runes that can run together need distinct ports: give each its own.
	for i := range m.Runes {
		if m.Runes[i].Port != 0 {
			m.Runes[i].Port = 10000 + i
		}
	}
	return m
}

// TestScaleVerify compiles 1,000 soulstones in 100 covens and checks that
// real Quadlet and systemd-analyze accept them; it logs their timings (the
// benchmarks measure them properly).
func TestScaleVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test skipped with -short")
	}
	quadlet := testtool.Quadlet(t)
	testtool.SystemdAnalyze(t)
	m := ScaleManifest(1000, 10)
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
