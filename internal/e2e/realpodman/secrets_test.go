package realpodman

import (
	"fmt"
	"strings"
	"testing"
)

// TestSecrets: lychd bind refuses units whose Podman secrets do not exist,
// naming the command that creates each (lychd init for the core's); once
// the user created them, a soulstone receives one as an environment
// variable and one as a file, and neither value is in a unit file.
func TestSecrets(t *testing.T) {
	b := bed(t)
	b.WriteCodex(t, map[string]string{
		"lychd.toml": lychdToml(freeCorePorts(t), ""),
		"soulstones/solo.toml": fmt.Sprintf(`[solo]
image = %q
environment = { NAME = "solo", PORT = "0" }
secrets = ["solo-token,type=env,target=SOLO_TOKEN", "solo-key,target=/etc/solo.key"]
`, Image),
	})
	_, errOut, err := b.Lychd(t, "bind")
	for _, want := range []string{
		"4 Podman secrets the units need do not exist:",
		"  lychd-phylactery-password (needed by core rune phylactery (core), core rune vessel (core), one-shot migrate (core)): run lychd init, which creates it\n",
		"  solo-key (needed by soulstone solo (soulstones/solo.toml:1)): create it with\n      podman secret create solo-key -\n    and type the value, then Ctrl-D\n",
	} {
		if err == nil || !strings.Contains(errOut, want) {
			t.Fatalf("lychd bind before lychd init: %v; stderr lacks %q:\n%s", err, want, errOut)
		}
	}

	b.MustLychd(t, "init")
	_, errOut, err = b.Lychd(t, "bind")
	if err == nil || !strings.Contains(errOut, "2 Podman secrets the units need do not exist:") || strings.Contains(errOut, "lychd-phylactery-password") {
		t.Fatalf("lychd bind after lychd init: %v; want only the soulstone's secrets missing:\n%s", err, errOut)
	}

	const token, key = "t0ken-value-1", "key-value-2"
	b.MustUser(t, "sh", "-c", "printf %s "+token+" | podman secret create solo-token - >/dev/null && printf %s "+key+" | podman secret create solo-key - >/dev/null")
	out := b.MustLychd(t, "bind") + b.MustLychd(t, "start", "solo")
	got := b.MustUser(t, "podman", "exec", "lychd-soulstone-solo", "sh", "-c", `echo "$SOLO_TOKEN"; cat /etc/solo.key`)
	if want := token + "\n" + key; got != want {
		t.Errorf("the soulstone reads %q, want %q", got, want)
	}
	units := b.MustUser(t, "sh", "-c", `find -L ~/.config/containers/systemd "$XDG_RUNTIME_DIR/systemd/generator" -type f -name 'lychd*' -exec cat {} +`)
	if !strings.Contains(units, "Secret=solo-token,type=env,target=SOLO_TOKEN") || !strings.Contains(units, "Secret=solo-key,target=/etc/solo.key") {
		t.Errorf("the soulstone's unit does not name its secrets:\n%s", units)
	}
	for _, v := range []string{token, key} {
		if strings.Contains(units, v) || strings.Contains(out, v) {
			t.Errorf("a secret's value is in a unit file or lychd's output")
		}
	}
}
