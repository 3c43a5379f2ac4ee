// Package modeltest builds manifests for tests and benchmarks.
package modeltest

import (
	"fmt"

	"github.com/lychd/lychd/internal/model"
)

// ScaleManifest returns n soulstones, perCoven to a coven, covens allied in
// pairs, every tenth soulstone also in the next coven, each with its own
// port. It is the manifest of the scale tests and benchmarks
// (internal/scribe, internal/bench).
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
	for i := range m.Runes {
		if m.Runes[i].Port != 0 {
			m.Runes[i].Port = 10000 + i
		}
	}
	return m
}
