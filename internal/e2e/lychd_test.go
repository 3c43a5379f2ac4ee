package e2e

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Hand-written units shaped like lychd bind's output: a pod publishing a
// port, one core service, a two-member coven "vision" with its target, and
// two covens of one, "hermes" and "xtts", allied with each other and hostile
// to vision.
var lychdUnits = map[string]string{
	QuadletUnitDir + "/lychd.pod": `[Pod]
PodName=lychd
PublishPort=8080:8080
`,
	QuadletUnitDir + "/lychd-vessel.container": `[Unit]
Description=vessel
[Container]
Image=example.invalid/vessel:1
Pod=lychd.pod
`,
	QuadletUnitDir + "/lychd-soulstone-vpre.container": `[Unit]
Description=vision preprocessor
PartOf=lychd-coven-vision.target
Conflicts=lychd-soulstone-hermes.service lychd-soulstone-xtts.service
After=lychd-soulstone-hermes.service lychd-soulstone-xtts.service
[Container]
Image=example.invalid/vpre:1
Pod=lychd.pod
StartWithPod=false
`,
	QuadletUnitDir + "/lychd-soulstone-vana.container": `[Unit]
Description=vision analyzer
PartOf=lychd-coven-vision.target
Conflicts=lychd-soulstone-hermes.service lychd-soulstone-xtts.service
After=lychd-soulstone-hermes.service lychd-soulstone-xtts.service
[Container]
Image=example.invalid/vana:1
Pod=lychd.pod
StartWithPod=false
`,
	QuadletUnitDir + "/lychd-soulstone-hermes.container": `[Unit]
Description=hermes
Conflicts=lychd-coven-vision.target
[Container]
Image=example.invalid/hermes:1
Pod=lychd.pod
StartWithPod=false
`,
	QuadletUnitDir + "/lychd-soulstone-xtts.container": `[Unit]
Description=xtts
Conflicts=lychd-coven-vision.target
[Container]
Image=example.invalid/xtts:1
Pod=lychd.pod
StartWithPod=false
`,
	SystemdUserUnitDir + "/lychd-coven-vision.target": `[Unit]
Description=coven vision
Wants=lychd-soulstone-vana.service lychd-soulstone-vpre.service
Conflicts=lychd-soulstone-hermes.service lychd-soulstone-xtts.service
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
// against hand-written units: it swaps covens, refuses conflicting names,
// reports failed jobs and pending reloads, and the stub podman's log shows
// that no two conflicting containers ever ran at once.
func TestLychdStartStopStatus(t *testing.T) {
	t.Parallel()
	m := Boot(t, shared(t))
	for p, c := range lychdUnits {
		m.WriteFile(t, p, c)
	}
	m.UserDaemonReload(t)

	step := func(name string, args []string, wantOK bool, wantOut, wantErr string, sorted bool) {
		t.Helper()
		out, errOut, ok := lychd(t, m, args...)
		if sorted {
			out, wantOut = sortedLines(out), sortedLines(wantOut)
		}
		if ok != wantOK || out != wantOut || errOut != wantErr {
			t.Fatalf("%s: lychd %s: ok=%v, want %v\nstdout:\n%s\nwant stdout:\n%s\nstderr:\n%s\nwant stderr:\n%s",
				name, strings.Join(args, " "), ok, wantOK, out, wantOut, errOut, wantErr)
		}
	}

	step("initial status", []string{"status"}, true, `UNIT                            KIND       COVENS  STATE          SINCE  PORTS
lychd-pod.service               pod        -       inactive/dead  -      8080:8080
lychd-vessel.service            core       -       inactive/dead  -      -
lychd-coven-vision.target       coven      vision  inactive/dead  -      -
lychd-soulstone-hermes.service  soulstone  hermes  inactive/dead  -      -
lychd-soulstone-vana.service    soulstone  vision  inactive/dead  -      -
lychd-soulstone-vpre.service    soulstone  vision  inactive/dead  -      -
lychd-soulstone-xtts.service    soulstone  xtts    inactive/dead  -      -

active covens: none
`, "", false)

	// Starting the coven pulls in the pod, which wants the core service.
	step("start vision", []string{"start", "vision"}, true, `starting lychd-coven-vision.target
starting lychd-soulstone-vana.service
starting lychd-soulstone-vpre.service
starting lychd-pod.service
starting lychd-vessel.service
started lychd-coven-vision.target
started lychd-soulstone-vana.service
started lychd-soulstone-vpre.service
started lychd-pod.service
started lychd-vessel.service
`, "", true)

	step("start hermes", []string{"start", "hermes"}, true, `starting lychd-soulstone-hermes.service
stopping lychd-coven-vision.target (conflicts with lychd-soulstone-hermes.service)
stopping lychd-soulstone-vana.service (conflicts with lychd-soulstone-hermes.service)
stopping lychd-soulstone-vpre.service (conflicts with lychd-soulstone-hermes.service)
started lychd-soulstone-hermes.service
stopped lychd-coven-vision.target
stopped lychd-soulstone-vana.service
stopped lychd-soulstone-vpre.service
`, "", true)

	step("start allied", []string{"start", "hermes", "xtts"}, true, `starting lychd-soulstone-hermes.service
starting lychd-soulstone-xtts.service
started lychd-soulstone-hermes.service
started lychd-soulstone-xtts.service
`, "", true)

	step("refuse hostile", []string{"start", "xtts", "vision"}, false, "",
		"lychd: refusing to start xtts and vision together: they conflict (their covens are not allied; list them in one alliance in lychd.toml to run them together)\n", false)

	step("unknown name", []string{"stop", "nosuch"}, false, "",
		"lychd: no coven or soulstone named \"nosuch\": systemd has neither lychd-coven-nosuch.target nor lychd-soulstone-nosuch.service loaded (run `lychd bind` after adding it to the Codex; `lychd status` lists what is installed)\n", false)

	step("stop xtts", []string{"stop", "xtts"}, true, "stopping lychd-soulstone-xtts.service\nstopped lychd-soulstone-xtts.service\n", "", false)

	m.MustUserRun(t, "systemctl", "--user", "set-environment", "LYCHD_STUB_PODMAN_FAIL=lychd-soulstone-xtts.service")
	step("failed job", []string{"start", "xtts"}, false, "starting lychd-soulstone-xtts.service\nfailed to start lychd-soulstone-xtts.service (result: failed)\n",
		"lychd: start failed for lychd-soulstone-xtts.service; see: journalctl --user -u lychd-soulstone-xtts.service\n", false)
	m.MustUserRun(t, "systemctl", "--user", "unset-environment", "LYCHD_STUB_PODMAN_FAIL")

	// A changed source file makes systemd ask for a daemon-reload.
	m.MustRun(t, "touch", "-d", "+1 minute", QuadletUnitDir+"/lychd-soulstone-vpre.container")
	out, errOut, ok := lychd(t, m, "status")
	want := `UNIT                            KIND       COVENS  STATE           SINCE                PORTS
lychd-pod.service               pod        -       active/running  2006-01-02 15:04:05  8080:8080
lychd-vessel.service            core       -       active/running  2006-01-02 15:04:05  -
lychd-coven-vision.target       coven      vision  inactive/dead   2006-01-02 15:04:05  -
lychd-soulstone-hermes.service  soulstone  hermes  active/running  2006-01-02 15:04:05  -
lychd-soulstone-vana.service    soulstone  vision  inactive/dead   2006-01-02 15:04:05  -
lychd-soulstone-vpre.service    soulstone  vision  inactive/dead   2006-01-02 15:04:05  -
lychd-soulstone-xtts.service    soulstone  xtts    failed/failed   2006-01-02 15:04:05  -

active covens: hermes
daemon-reload pending: lychd-soulstone-vpre.service changed on disk; run: systemctl --user daemon-reload
`
	if got := normalizeStatus(out); !ok || got != normalizeStatus(want) || errOut != "" {
		t.Fatalf("final status: ok=%v\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", ok, got, normalizeStatus(want), errOut)
	}

	out, errOut, ok = lychd(t, m, "status", "--json")
	var rep struct {
		SchemaVersion    int      `json:"schema_version"`
		ActiveCovens     []string `json:"active_covens"`
		NeedDaemonReload bool     `json:"need_daemon_reload"`
		Units            []struct {
			Unit        string   `json:"unit"`
			Kind        string   `json:"kind"`
			Covens      []string `json:"covens"`
			ActiveState string   `json:"active_state"`
			SubState    string   `json:"sub_state"`
			Since       *string  `json:"since"`
			Ports       []string `json:"published_ports"`
			Reload      bool     `json:"need_daemon_reload"`
		} `json:"units"`
	}
	if !ok || errOut != "" {
		t.Fatalf("status --json failed: %s", errOut)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if rep.SchemaVersion != 1 || strings.Join(rep.ActiveCovens, ",") != "hermes" || !rep.NeedDaemonReload || len(rep.Units) != 7 {
		t.Errorf("status --json header wrong:\n%s", out)
	}
	if u := rep.Units[0]; u.Unit != "lychd-pod.service" || u.Kind != "pod" || strings.Join(u.Ports, ",") != "8080:8080" || u.Since == nil || u.ActiveState != "active" {
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

	// A soulstone whose file is written but not loaded yet: lychd resolves
	// the name from the file and systemd's refusal says what to do.
	m.WriteFile(t, QuadletUnitDir+"/lychd-soulstone-fresh.container", "[Container]\nImage=example.invalid/fresh:1\nPod=lychd.pod\nStartWithPod=false\n")
	step("bound, not loaded", []string{"start", "fresh"}, false, "",
		"lychd: start lychd-soulstone-fresh.service: systemd has no such unit loaded (Unit lychd-soulstone-fresh.service not found.); if lychd bind wrote it, load it with: systemctl --user daemon-reload\n", false)
	out, _, _ = lychd(t, m, "status")
	if !strings.Contains(normalizeStatus(out), "lychd-soulstone-fresh.service soulstone fresh not-found - -") ||
		!strings.Contains(out, "daemon-reload pending: lychd-soulstone-fresh.service, lychd-soulstone-vpre.service changed on disk") {
		t.Errorf("status with an unloaded soulstone:\n%s", out)
	}
	m.UserDaemonReload(t)
	step("loaded after the reload", []string{"start", "fresh"}, true, "starting lychd-soulstone-fresh.service\nstarted lychd-soulstone-fresh.service\n", "", true)
}
