package plugintest_test

import (
	"reflect"
	"testing"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/plugintest"
)

// TestCheckRefusesWhatBindRefuses: Check fails, in bind's words, what
// lychd bind would refuse whatever the user's Codex holds. Before, it
// accepted two soulstones of one coven on the same port and a rune named
// vessel, which bind then refused.
func TestCheckRefusesWhatBindRefuses(t *testing.T) {
	r := &plugintest.Result{
		Info: sdk.Info{Name: "stt", Version: "1"},
		Runes: []sdk.Rune{
			{Name: "whisper", Image: "docker.io/library/busybox:1.36", Groups: []string{"speech"}, Port: 8081},
			{Name: "vad", Image: "docker.io/library/busybox:1.36", Groups: []string{"speech"}, Port: 8081},
			{Name: "vessel", Kind: sdk.AlwaysOn, Image: "docker.io/library/busybox:1.36"},
		},
	}
	got := run(func(tb testing.TB) { plugintest.Check(tb, r) })
	want := []string{
		`plugintest.Check: extension stt: registered a rune with an invalid name: name "vessel" is taken by one of lychd's core runes (vessel, phylactery, oculus); pick another name`,
		`plugintest.Check: extension stt: port 8081 is declared by rune "whisper" and rune "vad", which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Check failures:\n got %q\nwant %q", got, want)
	}
}
