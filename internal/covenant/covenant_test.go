package covenant

import (
	"testing"

	"github.com/lychd/lychd/internal/model"
)

func soul(name string, groups ...string) model.Rune {
	return model.Rune{Name: name, Kind: model.KindSoulstone, Groups: groups}
}

func TestCompatible(t *testing.T) {
	runes := []model.Rune{
		soul("omni", "chat", "vision"), soul("qwen", "chat"), soul("llava", "vision"),
		soul("kokoro", "speech"), soul("xtts"), {Name: "vessel", Kind: model.KindCore},
	}
	g, err := Build(runes, [][]string{{"chat", "speech"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		a, b string
		want bool
	}{
		{"omni", "qwen", true},   // share chat
		{"omni", "llava", true},  // share vision
		{"qwen", "llava", false}, // chat and vision are not allied
		{"omni", "kokoro", true}, // chat is allied with speech
		{"llava", "kokoro", false},
		{"xtts", "qwen", false},  // a coven of one, allied with nothing
		{"vessel", "xtts", true}, // core runs with everything
	}
	for _, c := range cases {
		if got := g.Compatible(c.a, c.b); got != c.want {
			t.Errorf("Compatible(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := g.Compatible(c.b, c.a); got != c.want {
			t.Errorf("Compatible(%s, %s) = %v, want %v (not symmetric)", c.b, c.a, got, c.want)
		}
	}
	if got, want := g.WhyHostile("qwen", "llava"), `"qwen" is in coven "chat", "llava" in coven "vision", and no alliance joins them`; got != want {
		t.Errorf("WhyHostile = %q, want %q", got, want)
	}
	var withTarget []string
	for _, c := range g.Covens() {
		if c.HasTarget {
			withTarget = append(withTarget, c.Name)
		}
	}
	if got := len(withTarget); got != 2 || withTarget[0] != "chat" || withTarget[1] != "vision" {
		t.Errorf("covens with a target = %v, want [chat vision]", withTarget)
	}
	if a, b, ok := g.ConflictingPair([]string{"omni", "qwen", "llava"}); !ok || a != "qwen" || b != "llava" {
		t.Errorf("ConflictingPair = %s, %s, %v", a, b, ok)
	}
	if n := len(g.Classes()); n != 5 {
		t.Errorf("%d classes, want 5 (one per distinct coven set)", n)
	}
}

func TestUnknownAllianceCoven(t *testing.T) {
	_, err := Build([]model.Rune{soul("a", "g")}, [][]string{{"g", "visoin"}})
	want := `lychd.toml: alliances: unknown coven "visoin": no soulstone belongs to it (known covens: g); remove it from the alliance or add a soulstone with groups = ["visoin"]`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}
