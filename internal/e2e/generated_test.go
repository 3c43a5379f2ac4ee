package e2e

import (
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/scribe"
)

// generatedManifest: vision={vpre,vana,omni}, chat={omni,qwen},
// reasoning={hermes} allied with the coven of one xtts.
func generatedManifest() *model.Manifest {
	soul := func(name string, groups ...string) model.Rune {
		return model.Rune{Name: name, Kind: model.KindSoulstone, Image: "example.invalid/" + name + ":1", Groups: groups,
			Source: model.Source{Kind: model.SourceCodex, Name: "soulstones/e2e.toml"}}
	}
	return &model.Manifest{
		Alliances: [][]string{{"reasoning", "xtts"}},
		Runes: []model.Rune{
			{Name: "vessel", Kind: model.KindCore, Image: "example.invalid/vessel:1", Source: model.Source{Kind: model.SourceCore, Name: "core"}},
			soul("vpre", "vision"), soul("vana", "vision"), soul("omni", "vision", "chat"), soul("qwen", "chat"),
			soul("hermes", "reasoning"), soul("xtts"),
		},
	}
}

// soulLine matches a progress line about a soulstone.
var soulLine = regexp.MustCompile(`^(\S+|failed to \S+) lychd-soulstone-`)

// TestLychdOnGeneratedUnits runs lychd start/stop/status against the units
// lychd's scribe generates (hold targets included) on a booted systemd.
func TestLychdOnGeneratedUnits(t *testing.T) {
	t.Parallel()
	man := generatedManifest()
	out, err := scribe.Compile(man)
	if err != nil {
		t.Fatal(err)
	}
	m := Boot(t, shared(t))
	for _, f := range out.Quadlet {
		m.WriteFile(t, path.Join(QuadletUnitDir, "lychd", f.Name), string(f.Data))
	}
	for _, f := range out.Systemd {
		m.WriteFile(t, path.Join(SystemdUserUnitDir, f.Name), string(f.Data))
	}
	m.UserDaemonReload(t)

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
		"lychd: refusing to start hermes and vpre together: they conflict (their covens are not allied; list them in one alliance in lychd.toml to run them together)\n")
	step([]string{"start", "chat", "vision"}, false, "",
		"lychd: refusing to start chat and vision together: they conflict (their covens are not allied; list them in one alliance in lychd.toml to run them together)\n")

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
		`(?m)^lychd-pod\.service +pod +- +active/running +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +-$`,
		`(?m)^lychd-vessel\.service +core +- +active/running `,
		`(?m)^lychd-coven-chat\.target +coven +chat +inactive/dead `,
		`(?m)^lychd-hold-vision\.target +hold +- +inactive/dead `,
		`(?m)^lychd-soulstone-hermes\.service +soulstone +hermes +inactive/dead `,
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
	var names []string
	for _, r := range man.Runes {
		if r.Kind == model.KindSoulstone {
			names = append(names, r.Name)
		}
	}
	for _, a := range names {
		for _, b := range names {
			if a < b && !out.Graph.Compatible(a, b) {
				if o := Overlaps(log, "lychd-namestone-"+a+".service", "lychd-namestone-"+b+".service"); len(o) > 0 {
					t.Errorf("incompatible namestones overlapped: %v\nlog:\n%s", o, dump(log))
				}
			}
		}
	}
}
