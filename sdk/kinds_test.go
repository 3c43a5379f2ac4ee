package sdk_test

import (
	"encoding/json"
	"testing"

	"github.com/lychd/lychd/sdk"
)

func TestKindsRoundTripAsText(t *testing.T) {
	for _, k := range []sdk.RuneKind{sdk.Soulstone, sdk.AlwaysOn, sdk.OneShot} {
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		var back sdk.RuneKind
		if err := json.Unmarshal(b, &back); err != nil || back != k {
			t.Errorf("%s: round trip gave %v, %v", b, back, err)
		}
	}
	for _, k := range []sdk.AnimatorKind{sdk.AnimatorSoulstone, sdk.AnimatorPortal} {
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		var back sdk.AnimatorKind
		if err := json.Unmarshal(b, &back); err != nil || back != k {
			t.Errorf("%s: round trip gave %v, %v", b, back, err)
		}
	}
	if _, err := json.Marshal(sdk.RuneKind(5)); err == nil {
		t.Error("marshalling RuneKind(5) succeeded")
	}
	var k sdk.RuneKind
	if err := json.Unmarshal([]byte(`"core"`), &k); err == nil || err.Error() != `unknown rune kind "core"; want "soulstone", "always-on" or "one-shot"` {
		t.Errorf("unmarshal error = %v", err)
	}
	if got := sdk.AnimatorKind(9).String(); got != "AnimatorKind(9)" {
		t.Errorf("String = %q", got)
	}
}
