package validate

import (
	"reflect"
	"testing"
)

func TestRegistrations(t *testing.T) {
	for _, tc := range []struct {
		name      string
		runes     []ExtensionRune
		animators []ExtensionAnimator
		want      []string
	}{
		{name: "fine: soulstones of different covens share a port, a portal",
			runes: []ExtensionRune{
				{Name: "a", Groups: []string{"x"}, Port: 8081},
				{Name: "b", Port: 8081},
				{Name: "helper", AlwaysOn: true, Port: 9000},
			},
			animators: []ExtensionAnimator{{Name: "a", Rune: "a"}, {Name: "remote"}},
		},
		{name: "core ports",
			runes: []ExtensionRune{
				{Name: "api", Port: 8000},
				{Name: "db", AlwaysOn: true, Port: 5432},
				{Name: "traces", Groups: []string{"t"}, Port: 6006},
			},
			want: []string{
				`port 5432 is declared by rune "db" (extension e) and rune "phylactery" (core), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
				`port 6006 is declared by rune "oculus" (core) and rune "traces" (extension e), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
				`port 8000 is declared by rune "api" (extension e) and rune "vessel" (core), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
			}},
		{name: "an Animator on an always-on rune",
			runes:     []ExtensionRune{{Name: "helper", AlwaysOn: true}},
			animators: []ExtensionAnimator{{Name: "h", Rune: "helper"}},
			want: []string{
				`animator "h" (extension e) is manifested by "helper" (extension e), which is a core rune, not a soulstone`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, err := range Registrations("e", tc.runes, tc.animators) {
				got = append(got, err.Error())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
