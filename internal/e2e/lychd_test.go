package e2e

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// startStopCodex: a two-member coven "vision", and two covens of one,
// "hermes" and "xtts", allied with each other and hostile to vision.
var startStopCodex = map[string]string{
	"/root/.config/lychd/lychd.toml": "alliances = [[\"hermes\", \"xtts\"]]\n",
	"/root/.config/lychd/soulstones/e2e.toml": `[vpre]
image = "example.invalid/vpre:1"
groups = ["vision"]

[vana]
image = "example.invalid/vana:1"
groups = ["vision"]

[hermes]
image = "example.invalid/hermes:1"

[xtts]
image = "example.invalid/xtts:1"
`,
}

var (
	timestampRE = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
	inactiveRE  = regexp.MustCompile(`((?:inactive|failed)/\S+ +)T\b`)
	spacesRE    = regexp.MustCompile(` +`)
)

// normalizeStatus makes a status table comparable: timestamps become T,
// runs of spaces one space, and an inactive unit's time "-", because systemd
// forgets the timestamps of inactive units when it unloads them.
func normalizeStatus(s string) string {
	s = timestampRE.ReplaceAllString(s, "T")
	s = inactiveRE.ReplaceAllString(s, "${1}-")
	return spacesRE.ReplaceAllString(s, " ")
}

// lychd runs the lychd binary in the machine's user session.
func lychd(t *testing.T, m *Machine, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	out, errOut, err := m.UserRun(t, append([]string{LychdPath}, args...)...)
	return out, errOut, err == nil
}

func sortedLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestLychdStartStopStatus runs the real lychd binary in a booted machine
// on a bound Codex: it swaps covens, refuses conflicting names, reports
// failed jobs and pending reloads, and the stub podman's log shows that no
// two conflicting containers ever ran at once.
func TestLychdStartStopStatus(t *testing.T) {
	t.Parallel()
	m := Boot(t, shared(t))
	for p, c := range startStopCodex {
		m.WriteFile(t, p, c)
	}
	if out, errOut, ok := lychd(t, m, "bind"); !ok {
		t.Fatalf("lychd bind failed:\n%s%s", out, errOut)
	}

	step := func(name string, args []string, wantOK bool, wantOut, wantErr string) {
		t.Helper()
		out, errOut, ok := lychd(t, m, args...)
		if ok != wantOK || soulstoneLines(out) != soulstoneLines(wantOut) || errOut != wantErr {
			t.Fatalf("%s: lychd %s: ok=%v, want %v\nstdout:\n%s\nwant (soulstone and coven lines, sorted):\n%s\nstderr:\n%s\nwant stderr:\n%s",
				name, strings.Join(args, " "), ok, wantOK, out, soulstoneLines(wantOut), errOut, wantErr)
		}
	}

	out, errOut, ok := lychd(t, m, "status")
	if !ok || errOut != "" {
		t.Fatalf("initial status: %s%s", out, errOut)
	}
	for _, re := range []string{
		`(?m)^bound: gen-1 at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`,
		`(?m)^lychd-pod\.service +pod +- +inactive/dead +- +127\.0\.0\.1:6006:6006,127\.0\.0\.1:7134:8000$`,
		`(?m)^lychd-vessel\.service +core +- +inactive/dead `,
		`(?m)^lychd-coven-vision\.target +coven +vision +inactive/dead `,
		`(?m)^lychd-soulstone-hermes\.service +soulstone +hermes +inactive/dead `,
		`(?m)^active covens: none$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("initial status does not match %s:\n%s", re, out)
		}
	}

	step("start vision", []string{"start", "vision"}, true, `starting lychd-coven-vision.target
starting lychd-soulstone-vana.service
starting lychd-soulstone-vpre.service
started lychd-coven-vision.target
started lychd-soulstone-vana.service
started lychd-soulstone-vpre.service
`, "")

	step("start hermes", []string{"start", "hermes"}, true, `starting lychd-soulstone-hermes.service
stopping lychd-soulstone-vana.service (conflicts with lychd-soulstone-hermes.service)
stopping lychd-soulstone-vpre.service (conflicts with lychd-soulstone-hermes.service)
started lychd-soulstone-hermes.service
stopped lychd-soulstone-vana.service
stopped lychd-soulstone-vpre.service
`, "")

	step("start allied", []string{"start", "hermes", "xtts"}, true, `starting lychd-soulstone-hermes.service
starting lychd-soulstone-xtts.service
started lychd-soulstone-hermes.service
started lychd-soulstone-xtts.service
`, "")

	step("refuse hostile", []string{"start", "xtts", "vision"}, false, "",
		"lychd: refusing to start xtts and vision together: they conflict (\"xtts\" is in coven \"xtts\", \"vana\" in coven \"vision\", and no alliance joins them; list their covens in one alliance in lychd.toml to run them together)\n")

	step("unknown name", []string{"stop", "nosuch"}, false, "",
		"lychd: \"nosuch\" is neither a coven, a soulstone nor a core rune of the bound Sepulcher; see them with: lychd status\n")

	step("stop xtts", []string{"stop", "xtts"}, true, "stopping lychd-soulstone-xtts.service\nstopped lychd-soulstone-xtts.service\n", "")

	m.MustUserRun(t, "systemctl", "--user", "set-environment", "LYCHD_STUB_PODMAN_FAIL=lychd-soulstone-xtts.service")
	// The error goes on with why and the unit's journal, which depend on
	// how far Restart= got and on what the user may read of the journal.
	out, errOut, ok = lychd(t, m, "start", "xtts")
	wantOut := "starting lychd-soulstone-xtts.service\nfailed to start lychd-soulstone-xtts.service (result: failed)\n"
	wantErr := "lychd: start failed for lychd-soulstone-xtts.service; see: journalctl --user -u lychd-soulstone-xtts.service\nlychd-soulstone-xtts.service failed to start"
	if ok || out != wantOut || !strings.HasPrefix(errOut, wantErr) {
		t.Fatalf("failed job: lychd start xtts: ok=%v, want false\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant it to start with:\n%s", ok, out, wantOut, errOut, wantErr)
	}
	m.MustUserRun(t, "systemctl", "--user", "unset-environment", "LYCHD_STUB_PODMAN_FAIL")

	out, errOut, ok = lychd(t, m, "status", "--json")
	var rep struct {
		SchemaVersion int `json:"schema_version"`
		Bound         struct {
			Generation   string `json:"generation"`
			CodexChanged bool   `json:"codex_changed"`
		} `json:"bound"`
		ActiveCovens     []string `json:"active_covens"`
		NeedDaemonReload bool     `json:"need_daemon_reload"`
		Units            []struct {
			Unit        string   `json:"unit"`
			Kind        string   `json:"kind"`
			ActiveState string   `json:"active_state"`
			Since       *string  `json:"since"`
			Ports       []string `json:"published_ports"`
		} `json:"units"`
	}
	if !ok || errOut != "" {
		t.Fatalf("status --json failed: %s", errOut)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if rep.SchemaVersion != 1 || rep.Bound.Generation != "gen-1" || rep.Bound.CodexChanged || !slices.Contains(rep.ActiveCovens, "hermes") || rep.NeedDaemonReload {
		t.Errorf("status --json header wrong: %+v", rep)
	}
	if u := rep.Units[0]; u.Unit != "lychd-pod.service" || u.Kind != "pod" || u.Since == nil || u.ActiveState != "active" {
		t.Errorf("status --json pod entry wrong: %+v", u)
	}

	// Fast swaps: more than systemd's default 5 starts in 10 s of the same
	// units must not be refused (lychd start resets the start limits).
	m.MustUserRun(t, "systemctl", "--user", "set-environment", "LYCHD_STUB_PODMAN_STOP_DELAY=10ms")
	for i := 0; i < 12; i++ {
		name := []string{"vision", "hermes"}[i%2]
		if out, errOut, ok := lychd(t, m, "start", name); !ok {
			t.Fatalf("swap %d to %s failed:\n%s%s", i, name, out, errOut)
		}
	}

	log := m.PodmanLog(t)
	for _, pair := range [][2]string{
		{"lychd-soulstone-hermes.service", "lychd-soulstone-vpre.service"},
		{"lychd-soulstone-hermes.service", "lychd-soulstone-vana.service"},
		{"lychd-soulstone-xtts.service", "lychd-soulstone-vpre.service"},
		{"lychd-soulstone-xtts.service", "lychd-soulstone-vana.service"},
	} {
		if o := Overlaps(log, pair[0], pair[1]); len(o) > 0 {
			t.Errorf("conflicting containers overlapped: %v\nlog:\n%s", o, dump(log))
		}
	}

	// A soulstone bound but not loaded: status names what is pending, and
	// systemd's refusal of its start says what to do.
	m.WriteFile(t, "/root/.config/lychd/soulstones/e2e.toml", startStopCodex["/root/.config/lychd/soulstones/e2e.toml"]+"\n[fresh]\nimage = \"example.invalid/fresh:1\"\n")
	out, _, _ = lychd(t, m, "status")
	if !strings.Contains(out, "bind pending: the Codex changed since; run: lychd bind\n") {
		t.Errorf("status with the Codex changed:\n%s", out)
	}
	if out, errOut, ok := lychd(t, m, "bind", "--no-reload"); !ok {
		t.Fatalf("lychd bind --no-reload failed:\n%s%s", out, errOut)
	}
	step("bound, not loaded", []string{"start", "fresh"}, false, "",
		"lychd: start lychd-soulstone-fresh.service: systemd has no such unit loaded (Unit lychd-soulstone-fresh.service not found.); if lychd bind wrote it, load it with: systemctl --user daemon-reload\n")
	out, _, _ = lychd(t, m, "status")
	if !strings.Contains(normalizeStatus(out), "lychd-soulstone-fresh.service soulstone fresh not-found - -") ||
		!regexp.MustCompile(`(?m)^daemon-reload pending: .*lychd-soulstone-fresh\.service.* changed on disk; run: systemctl --user daemon-reload$`).MatchString(out) ||
		strings.Contains(out, "bind pending") {
		t.Errorf("status with an unloaded soulstone:\n%s", out)
	}
	m.UserDaemonReload(t)
	step("loaded after the reload", []string{"start", "fresh"}, true, `starting lychd-soulstone-fresh.service
stopping lychd-soulstone-hermes.service (conflicts with lychd-soulstone-fresh.service)
stopped lychd-soulstone-hermes.service
started lychd-soulstone-fresh.service
`, "")
}
