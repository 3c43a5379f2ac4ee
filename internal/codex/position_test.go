package codex

import "testing"

func TestPositions(t *testing.T) {
	doc := `# comment
[a]
x = 1
env = { A = "1",
  B = "2" }
list = [
  "one",

  "two", [3,
  4],
]
b.c.d = true

[[arr]]
k = 1
[[arr]]
k = 2
[[arr.sub]]
m = 1
[arr.tbl]
n = 1

["q.k"]
"weird key" = 1
`
	ps := indexPositions([]byte(doc))
	var root keyPath
	a := root.child("a")
	arr := root.child("arr")
	for _, tc := range []struct {
		p    keyPath
		want int
	}{
		{a, 2},
		{a.child("x"), 3},
		{a.child("env"), 4},
		{a.child("env").child("A"), 4},
		{a.child("env").child("B"), 5},
		{a.child("list"), 6},
		{a.child("list").index(0), 7},
		{a.child("list").index(1), 9},
		{a.child("list").index(2), 9},
		{a.child("list").index(2).index(1), 10},
		{a.child("b"), 12},
		{a.child("b").child("c").child("d"), 12},
		{a.child("missing"), 2},       // falls back to the table
		{a.child("list").index(7), 6}, // falls back to the array
		{arr, 14},                     // first mention
		{arr.index(0), 14},            // first element's header
		{arr.index(0).child("k"), 15}, //
		{arr.index(1), 16},            // second element's header
		{arr.index(1).child("k"), 17}, //
		{arr.index(1).child("sub").index(0), 18},
		{arr.index(1).child("sub").index(0).child("m"), 19},
		{arr.index(1).child("tbl"), 20},
		{arr.index(1).child("tbl").child("n"), 21},
		{root.child("q.k"), 23},
		{root.child("q.k").child("weird key"), 24},
		{root.child("nothing"), 1},
	} {
		if got := ps.line(tc.p); got != tc.want {
			t.Errorf("line(%s) = %d, want %d", tc.p, got, tc.want)
		}
	}
}
