package e2e

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var codexFiles = map[string]string{
	"/root/.config/lychd/lychd.toml": `alliances = [["reasoning", "xtts"]]
`,
	"/root/.config/lychd/soulstones/e2e.toml": `[vpre]
image = "example.invalid/vpre:1"
groups = ["vision"]

[vana]
image = "example.invalid/vana:1"
groups = ["vision"]
after = ["lychd-soulstone-vpre.service"]

[hermes]
image = "example.invalid/hermes:1"
groups = ["reasoning"]

[xtts]
image = "example.invalid/xtts:1"
`,
}

// soulOrCovenLine matches a progress line about a soulstone or coven target.
var soulOrCovenLine = regexp.MustCompile(`^(\S+|failed to \S+) lychd-(soulstone|coven)-`)

// soulstoneLines keeps the progress lines about soulstones and covens (the
// core services the pod starts are the core's business), sorted.
func soulstoneLines(s string) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if soulOrCovenLine.MatchString(l) {
			keep = append(keep, l)
		}
	}
	return sortedLines(strings.Join(keep, "\n"))
}

// TestLychdBindThenStart is the whole round trip inside a booted machine:
// lychd bind compiles a Codex into units and reloads the user manager, then
// lychd start/stop/status drive them by coven and soulstone names, including
// a coven of one named differently from its soulstone.
func TestLychdBindThenStart(t *testing.T) {
	t.Parallel()
	m := Boot(t, shared(t))
	for p, c := range codexFiles {
		m.WriteFile(t, p, c)
	}
	if out, errOut, ok := lychd(t, m, "bind"); !ok {
		t.Fatalf("lychd bind failed:\n%s%s", out, errOut)
	}

	step := func(args []string, wantOK bool, wantOut, wantErr string) {
		t.Helper()
		got, errOut, ok := lychd(t, m, args...)
		if ok != wantOK || soulstoneLines(got) != soulstoneLines(wantOut) || errOut != wantErr {
			t.Fatalf("lychd %s: ok=%v, want %v\nstdout:\n%s\nwant (soulstone lines, sorted):\n%s\nstderr:\n%s\nwant stderr:\n%s",
				strings.Join(args, " "), ok, wantOK, got, soulstoneLines(wantOut), errOut, wantErr)
		}
	}
	step([]string{"start", "reasoning", "xtts"}, true, `starting lychd-soulstone-hermes.service
started lychd-soulstone-hermes.service
starting lychd-soulstone-xtts.service
started lychd-soulstone-xtts.service
`, "")
	step([]string{"start", "reasoning", "vision"}, false, "",
		"lychd: refusing to start reasoning and vision together: they conflict (\"hermes\" is in coven \"reasoning\", \"vana\" in coven \"vision\", and no alliance joins them; list their covens in one alliance in lychd.toml to run them together)\n")
	step([]string{"start", "vision"}, true, `starting lychd-coven-vision.target
started lychd-coven-vision.target
starting lychd-soulstone-vpre.service
started lychd-soulstone-vpre.service
starting lychd-soulstone-vana.service
started lychd-soulstone-vana.service
stopping lychd-soulstone-hermes.service (conflicts with lychd-coven-vision.target)
stopped lychd-soulstone-hermes.service
stopping lychd-soulstone-xtts.service (conflicts with lychd-coven-vision.target)
stopped lychd-soulstone-xtts.service
`, "")

	out, errOut, ok := lychd(t, m, "status")
	if !ok || errOut != "" {
		t.Fatalf("status failed:\n%s%s", out, errOut)
	}
	for _, re := range []string{
		`(?m)^lychd-coven-vision\.target +coven +vision +active/active `,
		`(?m)^lychd-soulstone-hermes\.service +soulstone +reasoning +inactive/dead `,
		`(?m)^lychd-soulstone-vpre\.service +soulstone +vision +active/running `,
		`(?m)^lychd-soulstone-xtts\.service +soulstone +xtts +inactive/dead `,
		`(?m)^active covens: vision$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("status output does not match %s:\n%s", re, out)
		}
	}

	step([]string{"stop", "vision"}, true, `stopping lychd-coven-vision.target
stopped lychd-coven-vision.target
stopping lychd-soulstone-vpre.service
stopped lychd-soulstone-vpre.service
stopping lychd-soulstone-vana.service
stopped lychd-soulstone-vana.service
`, "")

	log := m.PodmanLog(t)
	for _, a := range []string{"lychd-soulstone-hermes.service", "lychd-soulstone-xtts.service"} {
		for _, b := range []string{"lychd-soulstone-vpre.service", "lychd-soulstone-vana.service"} {
			if o := Overlaps(log, a, b); len(o) > 0 {
				t.Errorf("incompatible soulstones overlapped: %v\nlog:\n%s", o, dump(log))
			}
		}
	}
	// vana is ordered after vpre within the coven.
	var vpre, vana int64
	for _, l := range Lifetimes(log) {
		switch l.Unit {
		case "lychd-soulstone-vpre.service":
			vpre = l.Started
		case "lychd-soulstone-vana.service":
			vana = l.Call
		}
	}
	if vpre == 0 || vana == 0 || vana < vpre {
		t.Errorf("vana's podman run (%d) did not follow vpre's readiness (%d)", vana, vpre)
	}

	// lychd bind reloaded: no reload is pending. A bind that does not
	// reload leaves one, naming what changed, including a soulstone systemd
	// does not know yet.
	if strings.Contains(out, "daemon-reload pending") {
		t.Errorf("status after lychd bind reports a pending reload:\n%s", out)
	}
	m.WriteFile(t, "/root/.config/lychd/soulstones/e2e.toml", codexFiles["/root/.config/lychd/soulstones/e2e.toml"]+`
[fresh]
image = "example.invalid/fresh:1"
`)
	if out, errOut, ok := lychd(t, m, "bind", "--no-reload"); !ok {
		t.Fatalf("lychd bind --no-reload failed:\n%s%s", out, errOut)
	}
	out, errOut, ok = lychd(t, m, "status")
	if !ok || errOut != "" {
		t.Fatalf("status failed:\n%s%s", out, errOut)
	}
	// Quadlet records the resolved source path (inside the old generation,
	// which the bind removed), so systemd itself reports every loaded
	// generated unit as needing a reload; the files name the soulstone
	// systemd has never seen.
	norm := normalizeStatus(out)
	if !strings.Contains(norm, "lychd-soulstone-fresh.service soulstone fresh not-found - -") ||
		!regexp.MustCompile(`(?m)^daemon-reload pending: .*lychd-soulstone-fresh\.service.* changed on disk; run: systemctl --user daemon-reload$`).MatchString(out) {
		t.Errorf("status after bind --no-reload:\n%s", out)
	}

	// The next bind, with nothing else to do, owes systemd that reload.
	out, errOut, ok = lychd(t, m, "bind")
	if !ok || out != "Nothing to do: 13 files are already bound.\nReloaded the systemd user manager, which an earlier bind had left to do.\n" {
		t.Errorf("bind after bind --no-reload:\n%s%s", out, errOut)
	}
	out, errOut, ok = lychd(t, m, "status")
	if !ok || errOut != "" || strings.Contains(out, "daemon-reload pending") || !strings.Contains(normalizeStatus(out), "lychd-soulstone-fresh.service soulstone fresh inactive") {
		t.Errorf("status after the catch-up bind:\n%s%s", out, errOut)
	}
}

// TestBoundStateNeedsNoExtension: once bound, status and animators answer
// from the bound record: with every extension binary deleted they give
// exactly the same full answer, soulstones and Animators of the extension
// included.
func TestBoundStateNeedsNoExtension(t *testing.T) {
	t.Parallel()
	ext := BuildStatic(t, "github.com/lychd/lychd/plugins/examples/tts-organ")
	opts := shared(t)
	opts.Binds = append(opts.Binds, Bind{Host: filepath.Dir(ext), Machine: "/mnt/ext", ReadOnly: true})
	m := Boot(t, opts)
	m.WriteFile(t, "/root/.config/lychd/soulstones/e2e.toml", "[hermes]\nimage = \"example.invalid/hermes:1\"\n")
	for _, args := range [][]string{{"extension", "install", "/mnt/ext/tts-organ"}, {"bind"}} {
		if out, errOut, ok := lychd(t, m, args...); !ok {
			t.Fatalf("lychd %s failed:\n%s%s", strings.Join(args, " "), out, errOut)
		}
	}
	answers := func() (string, string) {
		t.Helper()
		status, errOut, ok := lychd(t, m, "status", "--json")
		if !ok || errOut != "" {
			t.Fatalf("status --json: %s%s", status, errOut)
		}
		animators, errOut, ok := lychd(t, m, "animators", "--json")
		if !ok || errOut != "" {
			t.Fatalf("animators --json: %s%s", animators, errOut)
		}
		return status, animators
	}
	status, animators := answers()
	if !strings.Contains(status, `"unit": "lychd-soulstone-xtts.service"`) {
		t.Fatalf("status has nothing of the extension:\n%s", status)
	}
	if !strings.Contains(animators, `"source": "extension tts-organ"`) {
		t.Fatalf("animators has nothing of the extension:\n%s", animators)
	}
	m.MustRun(t, "rm", "-rf", "/root/.local/share/lychd/extensions/tts-organ")
	status2, animators2 := answers()
	// The extension is now missing from what is installed, which status
	// reports as a pending bind; everything else is the same.
	status2 = strings.Replace(status2, `"extensions_changed": [
      "tts-organ"
    ]`, `"extensions_changed": []`, 1)
	if normalizeStatus(status2) != normalizeStatus(status) || animators2 != animators {
		t.Errorf("without the extension binary:\nstatus:\n%s\nwant:\n%s\nanimators:\n%s\nwant:\n%s", status2, status, animators2, animators)
	}
}
