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
		`plugintest.Check: extension stt: registered a rune with an invalid name: name "vessel" is taken by one of lychd's core runes (vessel, phylactery, oculus, migrate); pick another name`,
		`plugintest.Check: extension stt: port 8081 is declared by rune "whisper" and rune "vad", which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Check failures:\n got %q\nwant %q", got, want)
	}
}

// TestCheckOneShotRules: the kit refuses, in bind's words, a one-shot
// rune in a coven, with a port or a health check, and an Animator served
// by one; a plain one-shot with a host-user container passes.
func TestCheckOneShotRules(t *testing.T) {
	const img = "docker.io/library/busybox:1.36"
	good := &plugintest.Result{
		Info: sdk.Info{Name: "db", Version: "1"},
		Runes: []sdk.Rune{
			{Name: "db-migrate", Kind: sdk.OneShot, Image: img, Exec: []string{"migrate", "up"}, HostUser: true},
			{Name: "db-api", Kind: sdk.AlwaysOn, Image: img, Port: 9100, HostUser: true,
				Requires: []string{"lychd-db-migrate.service"}, After: []string{"lychd-db-migrate.service"},
				HealthCmd: []string{"wget", "-q", "-O-", "http://127.0.0.1:9100/health"}, ShmSize: "1g", Memory: "2g"},
		},
	}
	if got := run(func(tb testing.TB) { plugintest.Check(tb, good) }); len(got) != 0 {
		t.Errorf("Check refused a valid one-shot: %q", got)
	}
	for _, tc := range []struct {
		name   string
		r      sdk.Rune
		animOn bool
		want   string
	}{
		{"in a coven", sdk.Rune{Name: "m", Kind: sdk.OneShot, Image: img, Groups: []string{"g"}}, false,
			`plugintest.Check: extension db: rune "m": groups: a one-shot rune belongs to no coven: it runs when a unit that requires it starts; remove its groups`},
		{"with a port", sdk.Rune{Name: "m", Kind: sdk.OneShot, Image: img, Port: 9000, ExposePort: true}, false,
			`plugintest.Check: extension db: rune "m": a one-shot rune serves nothing: it runs to completion and exits; remove its port, exposed port and host port`},
		{"with a health check", sdk.Rune{Name: "m", Kind: sdk.OneShot, Image: img, HealthCmd: []string{"true"}}, false,
			`plugintest.Check: extension db: rune "m": health_cmd: a one-shot rune has no health check: it is done when its command exits (status 0); remove the health command`},
		{"without an image", sdk.Rune{Name: "m", Kind: sdk.OneShot}, false,
			`plugintest.Check: extension db: rune "m": image is empty; write a reference such as "docker.io/library/alpine:3.20"`},
		{"serving an Animator", sdk.Rune{Name: "m", Kind: sdk.OneShot, Image: img}, true,
			`plugintest.Check: extension db: animator "m" (extension db) is manifested by "m" (extension db), which is a core rune, not a soulstone`},
		{"a bad memory limit", sdk.Rune{Name: "m", Image: img, Memory: "1m"}, false,
			`plugintest.Check: extension db: rune "m": memory limit "1m" is below 6m, too little to run a container; write a size such as "16g" or "512m" (units b, k, m, g)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &plugintest.Result{Info: sdk.Info{Name: "db", Version: "1"}, Runes: []sdk.Rune{tc.r}}
			if tc.animOn {
				res.Animators = []sdk.Animator{{Name: "m", Kind: sdk.AnimatorSoulstone}}
			}
			got := run(func(tb testing.TB) { plugintest.Check(tb, res) })
			if want := []string{tc.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("Check failures:\n got %q\nwant %q", got, want)
			}
		})
	}
}
