package unitname

import (
	"strings"
	"testing"

	"github.com/lychd/lychd/sdk/validate"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		unit string
		kind Kind
		name string
	}{
		{Pod, PodKind, ""},
		{AlwaysOnService("vessel"), AlwaysOn, "vessel"},
		{SoulstoneService("vision"), Soulstone, "vision"},
		{CovenTarget("vision"), Coven, "vision"},
		{HoldTarget([][]string{{"a", "b"}, {"c"}}), Hold, ""},
		{"lychd-.service", Other, ""},
		{"lychd-soulstone-.service", Other, ""},
		{"lychd-coven-.target", Other, ""},
		{"network-online.target", Other, ""},
		{"lychd-x.target", Other, ""},
	} {
		if k, n := Parse(tc.unit); k != tc.kind || n != tc.name {
			t.Errorf("Parse(%q) = %v %q, want %v %q", tc.unit, k, n, tc.kind, tc.name)
		}
	}
	if got := HoldTarget([][]string{{"a", "b"}, {"c"}}); got != "lychd-hold-a_b.c.target" {
		t.Errorf("HoldTarget = %s", got)
	}
	long := [][]string{{strings.Repeat("a", 63), strings.Repeat("b", 63)}, {strings.Repeat("c", 63)}}
	got := HoldTarget(long)
	if want := "lychd-hold-" + strings.Repeat("a", 63) + "__"; !strings.HasPrefix(got, want) || len(got) != len(want)+16+len(".target") {
		t.Errorf("long HoldTarget = %s, want %s and 16 hex digits", got, want)
	}
}

// FuzzUnitNames checks, for any two names the SDK's rules accept, that the
// units lychd makes of them never collide across kinds and read back.
func FuzzUnitNames(f *testing.F) {
	for _, s := range [][2]string{{"pod", "x"}, {"soulstone-x", "x"}, {"coven-a", "a"}, {"hold-a", "a"}, {"vessel", "vessel"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		units := map[string]string{Pod: "pod"}
		claim := func(unit, who string) {
			if prev, dup := units[unit]; dup && prev != who {
				t.Fatalf("%s and %s are both %s", prev, who, unit)
			}
			units[unit] = who
		}
		for _, n := range []string{a, b} {
			if validate.AlwaysOnName(n) == nil {
				claim(AlwaysOnService(n), "always-on "+n)
				if k, got := Parse(AlwaysOnService(n)); k != AlwaysOn || got != n {
					t.Fatalf("Parse(AlwaysOnService(%q)) = %v %q", n, k, got)
				}
			}
			if validate.Name(n) == nil {
				claim(SoulstoneService(n), "soulstone "+n)
				claim(CovenTarget(n), "coven "+n)
				if k, got := Parse(SoulstoneService(n)); k != Soulstone || got != n {
					t.Fatalf("Parse(SoulstoneService(%q)) = %v %q", n, k, got)
				}
				if k, got := Parse(CovenTarget(n)); k != Coven || got != n {
					t.Fatalf("Parse(CovenTarget(%q)) = %v %q", n, k, got)
				}
				if validate.Name(b) == nil {
					claim(HoldTarget([][]string{{n}, {b}}), "hold "+n+"."+b)
				}
				for _, u := range []string{SoulstoneService(n), CovenTarget(n), AlwaysOnService(n)} {
					if err := validate.UnitName(u); err != nil || len(u) > 255 {
						t.Fatalf("unit %q of name %q: %v", u, n, err)
					}
				}
			}
		}
	})
}
