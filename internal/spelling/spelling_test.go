package spelling

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// full is the textbook optimal-string-alignment distance, the oracle for
// Distance.
func full(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"image", "image", 2, 0},
		{"imgae", "image", 2, 1},
		{"prot", "port", 1, 1},
		{"hostport", "host_port", 2, 1},
		{"flavour", "devices", 2, 3},
		{"", "abc", 5, 3},
		{"abc", "", 1, 2},
		{"lychd-soulstone-visoin.service", "lychd-soulstone-vision.service", 3, 1},
		{"a", "b", 0, 1},
	} {
		if got := Distance(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("Distance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	word := func() string {
		var b strings.Builder
		for k := rng.IntN(9); k > 0; k-- {
			b.WriteByte("abc-"[rng.IntN(4)])
		}
		return b.String()
	}
	for i := 0; i < 20000; i++ {
		a, b, limit := word(), word(), rng.IntN(5)
		want := min(full(a, b), limit+1)
		if got := Distance(a, b, limit); got != want {
			t.Fatalf("Distance(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"port", "host_port", "image", "devices", "sort"}
	for w, want := range map[string]string{"prot": "port", "imgae": "image", "xort": "port", "zzzz": ""} {
		if got := Closest(w, known, 1); got != want {
			t.Errorf("Closest(%q) = %q, want %q", w, got, want)
		}
	}
}

// BenchmarkClosestLongNames compares a 255-character unit name against
// 10,000 others of the same length: the band keeps it linear.
func BenchmarkClosestLongNames(b *testing.B) {
	known := make([]string, 10000)
	for i := range known {
		known[i] = strings.Repeat("x", 240) + strings.Repeat(string(rune('a'+i%26)), 15)
	}
	w := strings.Repeat("y", 255)
	for b.Loop() {
		Closest(w, known, 3)
	}
}
