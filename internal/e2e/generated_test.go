package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/unitname"
)

// generatedCodex: vision={vpre,vana,omni}, chat={omni,qwen},
// reasoning={hermes} allied with the coven of one xtts.
var generatedCodex = map[string]string{
	"/root/.config/lychd/lychd.toml": "alliances = [[\"reasoning\", \"xtts\"]]\n",
	"/root/.config/lychd/soulstones/e2e.toml": `[vpre]
image = "example.invalid/vpre:1"
groups = ["vision"]

[vana]
image = "example.invalid/vana:1"
groups = ["vision"]

[omni]
image = "example.invalid/omni:1"
groups = ["vision", "chat"]

[qwen]
image = "example.invalid/qwen:1"
groups = ["chat"]

[hermes]
image = "example.invalid/hermes:1"
groups = ["reasoning"]

[xtts]
image = "example.invalid/xtts:1"
`,
}

// soulLine matches a progress line about a soulstone.
var soulLine = regexp.MustCompile(`^(\S+|failed to \S+) lychd-soulstone-`)

// TestLychdOnGeneratedUnits runs lychd bind, then start/stop/status on
// the units it bound (hold targets included) on a booted systemd.
func TestLychdOnGeneratedUnits(t *testing.T) {
	t.Parallel()
	m := Boot(t, shared(t))
	for p, c := range generatedCodex {
		m.WriteFile(t, p, c)
	}
	if out, errOut, ok := lychd(t, m, "bind"); !ok {
		t.Fatalf("lychd bind failed:\n%s%s", out, errOut)
	}

	// The soulstones' lines are the contract; which targets a transaction
	// touches is the scribe's design (its targets carry no Conflicts=).
	souls := func(s string) string {
		var keep []string
		for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
			if soulLine.MatchString(l) {
				keep = append(keep, l)
			}
		}
		return sortedLines(strings.Join(keep, "\n"))
	}
	step := func(args []string, wantOK bool, wantOut, wantErr string) {
		t.Helper()
		got, errOut, ok := lychd(t, m, args...)
		if ok != wantOK || souls(got) != souls(wantOut) || errOut != wantErr {
			t.Fatalf("lychd %s: ok=%v, want %v\nstdout:\n%s\nwant soulstone lines (sorted):\n%s\nstderr:\n%s\nwant stderr:\n%s",
				strings.Join(args, " "), ok, wantOK, got, souls(wantOut), errOut, wantErr)
		}
	}
	// Lines of a job that is queued, then done.
	both := func(verb, past string, units ...string) string {
		var b strings.Builder
		for _, u := range units {
			b.WriteString(verb + " " + u + "\n" + past + " " + u + "\n")
		}
		return b.String()
	}
	stopping := func(cause string, units ...string) string {
		var b strings.Builder
		for _, u := range units {
			b.WriteString("stopping " + u + " (conflicts with " + cause + ")\nstopped " + u + "\n")
		}
		return b.String()
	}

	step([]string{"start", "vision"}, true, both("starting", "started",
		"lychd-coven-vision.target", "lychd-hold-vision.target", "lychd-soulstone-omni.service",
		"lychd-soulstone-vana.service", "lychd-soulstone-vpre.service", "lychd-pod.service", "lychd-vessel.service"), "")

	step([]string{"start", "hermes"}, true, both("starting", "started", "lychd-soulstone-hermes.service")+
		stopping("lychd-soulstone-hermes.service", "lychd-coven-vision.target", "lychd-hold-vision.target",
			"lychd-soulstone-omni.service", "lychd-soulstone-vana.service", "lychd-soulstone-vpre.service"), "")

	step([]string{"start", "xtts", "hermes"}, true, both("starting", "started", "lychd-soulstone-xtts.service", "lychd-soulstone-hermes.service"), "")

	step([]string{"start", "hermes", "vpre"}, false, "",
		"lychd: refusing to start hermes and vpre together: they conflict (\"hermes\" is in coven \"reasoning\", \"vpre\" in coven \"vision\", and no alliance joins them; list their covens in one alliance in lychd.toml to run them together)\n")
	step([]string{"start", "chat", "vision"}, false, "",
		"lychd: refusing to start chat and vision together: they conflict (\"qwen\" is in coven \"chat\", \"vana\" in coven \"vision\", and no alliance joins them; list their covens in one alliance in lychd.toml to run them together)\n")

	step([]string{"start", "chat"}, true, both("starting", "started",
		"lychd-coven-chat.target", "lychd-soulstone-omni.service", "lychd-soulstone-qwen.service")+
		stopping("lychd-coven-chat.target", "lychd-soulstone-hermes.service", "lychd-soulstone-xtts.service"), "")

	step([]string{"stop", "chat"}, true, both("stopping", "stopped",
		"lychd-coven-chat.target", "lychd-soulstone-omni.service", "lychd-soulstone-qwen.service"), "")

	got, errOut, ok := lychd(t, m, "status")
	if !ok || errOut != "" {
		t.Fatalf("status failed:\n%s%s", got, errOut)
	}
	for _, re := range []string{
		`(?m)^lychd-pod\.service +pod +- +active/running +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +127\.0\.0\.1:6006:6006,127\.0\.0\.1:7134:8000$`,
		`(?m)^lychd-vessel\.service +core +- +active/running `,
		`(?m)^lychd-coven-chat\.target +coven +chat +inactive/dead `,
		`(?m)^lychd-hold-vision\.target +hold +- +inactive/dead `,
		`(?m)^lychd-soulstone-hermes\.service +soulstone +reasoning +inactive/dead `,
		`(?m)^lychd-soulstone-omni\.service +soulstone +chat,vision +inactive/dead `,
		`(?m)^lychd-soulstone-qwen\.service +soulstone +chat +inactive/dead `,
		`(?m)^lychd-soulstone-vana\.service +soulstone +vision +inactive/dead `,
		`(?m)^lychd-soulstone-vpre\.service +soulstone +vision +inactive/dead `,
		`(?m)^lychd-soulstone-xtts\.service +soulstone +xtts +inactive/dead `,
		`(?m)^active covens: none$`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("status output does not match %s:\n%s", re, got)
		}
	}

	log := m.PodmanLog(t)
	compatible := func(a, b string) bool {
		covens := map[string][]string{"vpre": {"vision"}, "vana": {"vision"}, "omni": {"vision", "chat"}, "qwen": {"chat"}, "hermes": {"reasoning"}, "xtts": {"xtts"}}
		allied := map[[2]string]bool{{"reasoning", "xtts"}: true, {"xtts", "reasoning"}: true}
		for _, x := range covens[a] {
			for _, y := range covens[b] {
				if x == y || allied[[2]string{x, y}] {
					return true
				}
			}
		}
		return false
	}
	names := []string{"hermes", "omni", "qwen", "vana", "vpre", "xtts"}
	checked := 0
	for _, a := range names {
		for _, b := range names {
			if a < b && !compatible(a, b) {
				checked++
				if o := Overlaps(log, unitname.SoulstoneService(a), unitname.SoulstoneService(b)); len(o) > 0 {
					t.Errorf("incompatible soulstones overlapped: %v\nlog:\n%s", o, dump(log))
				}
			}
		}
	}
	if checked != 10 {
		t.Errorf("checked %d hostile pairs, want 10", checked)
	}
}
