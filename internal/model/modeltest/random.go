package modeltest

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"

	"github.com/lychd/lychd/internal/model"
)

// RandomManifest builds 2 to 8 random soulstones over a pool of five covens
// (each a coven of one, in one coven or in two), with up to two random
// alliances of two or three covens and occasional after= edges to an
// earlier soulstone. The after= edges never form a cycle.
func RandomManifest(rng *rand.Rand) *model.Manifest {
	pool := []string{"alpha", "beta", "gamma", "delta", "omega"}
	n := 2 + rng.Intn(7)
	m := &model.Manifest{}
	used := map[string]bool{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("s%d", i)
		r := model.Rune{Name: name, Kind: model.KindSoulstone, Image: "example.invalid/" + name + ":1",
			Source: model.Source{Kind: model.SourceCodex, Name: "soulstones/r.toml", Line: i + 1}}
		k := rng.Intn(3) // 0: coven of one, 1 or 2 covens
		perm := rng.Perm(len(pool))
		for j := 0; j < k; j++ {
			r.Groups = append(r.Groups, pool[perm[j]])
		}
		sort.Strings(r.Groups)
		for _, c := range r.Covens() {
			used[c] = true
		}
		if i > 0 && rng.Intn(4) == 0 {
			r.After = []string{fmt.Sprintf("lychd-soulstone-s%d.service", rng.Intn(i))}
		}
		m.Runes = append(m.Runes, r)
	}
	var covens []string
	for c := range used {
		covens = append(covens, c)
	}
	sort.Strings(covens)
	for a := rng.Intn(3); a > 0 && len(covens) >= 2; a-- {
		perm := rng.Perm(len(covens))
		size := 2 + rng.Intn(min(2, len(covens)-1))
		var group []string
		for _, p := range perm[:size] {
			group = append(group, covens[p])
		}
		m.Alliances = append(m.Alliances, group)
	}
	return m
}

// Compatible is the Law of Exclusivity written straight from the spec and
// independent of package covenant, as an oracle for tests: soulstones a and
// b of m may run together when some coven of a and some coven of b are the
// same coven or listed together in an alliance.
func Compatible(m *model.Manifest, a, b string) bool {
	covens := func(name string) []string {
		for _, r := range m.Runes {
			if r.Name == name {
				return r.Covens()
			}
		}
		return nil
	}
	allied := func(x, y string) bool {
		if x == y {
			return true
		}
		for _, group := range m.Alliances {
			if slices.Contains(group, x) && slices.Contains(group, y) {
				return true
			}
		}
		return false
	}
	for _, x := range covens(a) {
		for _, y := range covens(b) {
			if allied(x, y) {
				return true
			}
		}
	}
	return false
}
