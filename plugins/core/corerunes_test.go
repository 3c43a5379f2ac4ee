package core_test

import (
	"reflect"
	"testing"

	"github.com/lychd/lychd/plugins/core"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/validate"
)

// TestTheRulesKnowTheCoreRunes: validate.CoreRunes, which plugintest.Check
// uses to refuse what bind would (a rune named like a core rune, a port a
// core rune declares), lists the runes the core registers.
func TestTheRulesKnowTheCoreRunes(t *testing.T) {
	runes, err := core.Runes(core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var got []validate.ExtensionRune
	for _, r := range runes {
		got = append(got, validate.ExtensionRune{Name: r.Name, AlwaysOn: r.Kind == sdk.AlwaysOn || r.Kind == sdk.OneShot, Port: r.Port})
	}
	if want := validate.CoreRunes(); !reflect.DeepEqual(got, want) {
		t.Errorf("the core registers %+v, validate.CoreRunes says %+v", got, want)
	}
}
