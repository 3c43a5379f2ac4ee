package codex

import (
	"fmt"
	"strings"
	"testing"
)

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
	ps, deep := indexPositions([]byte(doc), MaxKeysPerFile)
	if deep != nil {
		t.Fatal(deep.error("doc"))
	}
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

// TestDeepKeys checks that keys, table headers and values nested deeper
// than MaxKeyDepth are refused with the file, the line and the start of the
// key, before anything else reads the document.
func TestDeepKeys(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("a.", n-1) + "a" }
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"dotted key in an extension table", map[string]string{
			MainFile: "[extensions.e]\nok = 1\n" + deep(40) + " = 1\n",
		}, "lychd.toml:3: extensions.e." + deep(30) + "...: nested 42 levels deep; lychd reads keys, tables and arrays at most 32 levels deep: flatten this table"},
		{"table header", map[string]string{
			MainFile: "[extensions.x]\n\n[" + deep(50) + "]\nx = 1\n",
		}, "lychd.toml:3: " + deep(32) + "...: nested 50 levels deep; lychd reads keys, tables and arrays at most 32 levels deep: flatten this table"},
		{"soulstone table", map[string]string{
			"soulstones/s.toml": "[s]\nimage = \"x/y:1\"\n[s.environment]\n" + deep(33) + " = \"v\"\n",
		}, "soulstones/s.toml:4: s.environment." + deep(30) + "...: nested 35 levels deep; lychd reads keys, tables and arrays at most 32 levels deep: flatten this table"},
		{"nested arrays", map[string]string{
			MainFile: "[extensions.e]\nx = " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n",
		}, "lychd.toml:2: extensions.e.x" + strings.Repeat("[0]", 29) + "...: nested 42 levels deep; lychd reads keys, tables and arrays at most 32 levels deep: flatten this table"},
		{"inline tables", map[string]string{
			MainFile: "[extensions.e]\nx = " + strings.Repeat("{a=", 40) + "1" + strings.Repeat("}", 40) + "\n",
		}, "lychd.toml:2: extensions.e.x." + deep(29) + "...: nested 43 levels deep; lychd reads keys, tables and arrays at most 32 levels deep: flatten this table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeCodex(t, tc.files))
			if err == nil || err.Error() != tc.want {
				t.Errorf("Load:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
	// Exactly MaxKeyDepth levels is fine.
	if _, err := Load(writeCodex(t, map[string]string{MainFile: "[extensions.e]\n" + deep(MaxKeyDepth-2) + " = 1\n"})); err != nil {
		t.Errorf("a key %d levels deep: %v", MaxKeyDepth, err)
	}
}

// TestManyKeys checks the bounds on keys per file and in the whole Codex:
// the TOML decoder's cost grows with the square of a file's keys.
func TestManyKeys(t *testing.T) {
	keys := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "k%d = \"1\"\n", i)
		}
		return b.String()
	}
	// [extensions] and [extensions.e] are keys too.
	if _, err := Load(writeCodex(t, map[string]string{MainFile: "[extensions.e]\n" + keys(MaxKeysPerFile-2)})); err != nil {
		t.Errorf("%d keys: %v", MaxKeysPerFile, err)
	}
	_, err := Load(writeCodex(t, map[string]string{MainFile: "[extensions.e]\n" + keys(MaxKeysPerFile-1)}))
	want := fmt.Sprintf("lychd.toml:%d: holds more than 4096 keys; lychd reads at most 4096 keys per file: split the file into several", MaxKeysPerFile)
	if err == nil || err.Error() != want {
		t.Errorf("one key too many:\n got %v\nwant %s", err, want)
	}
	// Files of four soulstones of 1,000 keys each (one per line).
	files := map[string]string{}
	for i := 0; i <= MaxKeys/4000; i++ {
		var b strings.Builder
		for j := 0; j < 4; j++ {
			fmt.Fprintf(&b, "[s%d-%d]\nimage = \"x/y:1\"\n[s%d-%d.environment]\n%s", i, j, i, j, keys(997))
		}
		files[fmt.Sprintf("soulstones/s%02d.toml", i)] = b.String()
	}
	_, err = Load(writeCodex(t, files))
	want = fmt.Sprintf("soulstones/s16.toml:%d: brings the Codex past 65536 keys; lychd reads at most 65536 keys in the whole Codex: remove soulstones, portals or settings", MaxKeys-16*4000+1)
	if err == nil || err.Error() != want {
		t.Errorf("past the Codex's keys:\n got %.300v\nwant %s", err, want)
	}
}
