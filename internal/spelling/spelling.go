// Package spelling finds the word a user most likely meant: the known word
// within a few typing mistakes of what was written.
package spelling

// Distance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and transpositions of adjacent
// bytes each cost 1) when it is at most limit, and limit+1 otherwise. It
// only computes the band of cells within limit of the diagonal and stops
// as soon as a row exceeds limit, so its cost is linear in the length of
// the words for a fixed limit.
func Distance(a, b string, limit int) int {
	var s scratch
	return s.distance(a, b, limit)
}

// scratch holds three rows of the table, reused across words.
type scratch struct{ rows [3][]int }

func (s *scratch) distance(a, b string, limit int) int {
	if limit < 0 {
		return 0
	}
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	inf := limit + 1
	n := len(b)
	for k := range s.rows {
		if cap(s.rows[k]) < n+1 {
			s.rows[k] = make([]int, n+1)
		}
		s.rows[k] = s.rows[k][:n+1]
	}
	// rows i-2, i-1 and i of the table, cells j = 0..n; only the band
	// j in [i-limit, i+limit] is ever read, and the cells just outside it
	// are kept at inf.
	prev2, prev, cur := s.rows[0], s.rows[1], s.rows[2]
	for j := range prev {
		prev[j] = min(j, inf)
		prev2[j], cur[j] = inf, inf
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-limit), min(n, i+limit)
		cur[0] = min(i, inf)
		if lo > 1 {
			cur[lo-1] = inf
		}
		best := cur[0]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = min(v, inf)
			best = min(best, cur[j])
		}
		if hi < n {
			cur[hi+1] = inf
		}
		if best > limit {
			return inf
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[n], inf)
}

// Closest returns the word of known nearest to w, if it is at most limit
// edits away (Distance); among equally near words the first in sort order.
// It returns "" when none is near enough.
func Closest(w string, known []string, limit int) string {
	var s scratch
	best, bestDist := "", limit+1
	for _, k := range known {
		if d := s.distance(w, k, limit); d < bestDist || (d == bestDist && best != "" && k < best) {
			best, bestDist = k, d
		}
	}
	return best
}
