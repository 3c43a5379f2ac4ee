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
		{name: "names twice, a missing rune",
			runes:     []ExtensionRune{{Name: "a"}, {Name: "a"}},
			animators: []ExtensionAnimator{{Name: "e", Rune: "a"}, {Name: "e", Rune: "nope"}},
			want: []string{
				`registered rune "a" twice; give each rune its own name`,
				`registered Animator "e" twice; give each Animator its own name`,
				`Animator "e" is served by rune "nope", which this extension did not register; add the rune with AddRune or make the Animator a portal`,
			}},
		{name: "core names and ports",
			runes: []ExtensionRune{
				{Name: "oculus", Port: 6006},
				{Name: "api", Port: 8000},
				{Name: "db", AlwaysOn: true, Port: 5432},
			},
			want: []string{
				`rune "oculus" is defined twice: by core and by extension e; rename one of them`,
				`port 5432 is declared by rune "db" (extension e) and rune "phylactery" (core), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
				`port 6006 is declared by rune "oculus" (core) and rune "oculus" (extension e), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
				`port 8000 is declared by rune "api" (extension e) and rune "vessel" (core), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
			}},
		{name: "ports of runes that run together",
			runes: []ExtensionRune{
				{Name: "c", Groups: []string{"x", "y"}, Port: 8081},
				{Name: "b", Groups: []string{"y"}, Port: 8081},
				{Name: "a", Groups: []string{"y"}, Port: 8081},
				{Name: "d", Groups: []string{"z"}, Port: 8081},
				{Name: "e", AlwaysOn: true, Port: 8081},
			},
			want: []string{
				`port 8081 is declared by rune "a" (extension e) and rune "b" (extension e), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
				`port 8081 is declared by rune "a" (extension e) and rune "c" (extension e), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
				`port 8081 is declared by rune "a" (extension e) and rune "e" (extension e), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
				`port 8081 is declared by rune "c" (extension e) and rune "e" (extension e), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
				`port 8081 is declared by rune "d" (extension e) and rune "e" (extension e), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
			}},
		{name: "a coven named like a soulstone of one",
			runes: []ExtensionRune{{Name: "a", Port: 8081}, {Name: "b", Groups: []string{"a"}, Port: 8081}},
			want: []string{
				`port 8081 is declared by rune "a" (extension e) and rune "b" (extension e), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
			}},
		{name: "host ports, units, an Animator on an always-on rune",
			runes: []ExtensionRune{
				{Name: "x", Port: 8081, ExposePort: true, HostPort: 9999},
				{Name: "soulstone-x", AlwaysOn: true},
				{Name: "y", Port: 9999, ExposePort: true},
				{Name: "helper", AlwaysOn: true},
			},
			animators: []ExtensionAnimator{{Name: "h", Rune: "helper"}},
			want: []string{
				`runes "x" (extension e) and "soulstone-x" (extension e) both map to unit lychd-soulstone-x.service; rename one of them`,
				`animator "h" (extension e) is manifested by "helper" (extension e), which is a core rune, not a soulstone`,
				`host port 9999 is published twice: by rune "x" (extension e) and by rune "y" (extension e); set a different host_port on one of them`,
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
