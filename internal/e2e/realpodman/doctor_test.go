package realpodman

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// doctorLines runs lychd doctor as the user and returns its exit status
// (0 or 1) and its lines; any other failure fails the test.
func doctorLines(t *testing.T, b *Bed) (int, []string) {
	t.Helper()
	start := time.Now()
	out, errOut, err := b.Lychd(t, "doctor")
	t.Logf("lychd doctor took %v", time.Since(start).Round(time.Millisecond))
	code := 0
	if err != nil {
		if !strings.Contains(err.Error(), "exit status 1") {
			t.Fatalf("lychd doctor: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
		}
		code = 1
	}
	if errOut != "" {
		t.Fatalf("lychd doctor wrote to stderr:\n%s", errOut)
	}
	return code, strings.Split(strings.TrimRight(out, "\n"), "\n")
}

// requireLines fails t unless every line of want is in lines.
func requireLines(t *testing.T, lines []string, want ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range lines {
		have[l] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("lychd doctor has no line\n  %s\nin:\n  %s", w, strings.Join(lines, "\n  "))
		}
	}
}

// TestDoctor: on the prepared machine lychd doctor passes before the first
// bind (warning only that nothing is bound), after it, and while the pod
// runs (its ports are lychd's own); with lingering off, the CDI spec gone,
// a core secret gone or a localhost/ image missing it fails with the fix.
func TestDoctor(t *testing.T) {
	b := bed(t)
	ports := freeCorePorts(t)
	codex := map[string]string{
		"lychd.toml": lychdToml(ports, ""),
		"soulstones/gpu.toml": fmt.Sprintf(`[gpu]
image = %q
devices = ["nvidia.com/gpu=all"]
environment = { NAME = "gpu", PORT = "0" }
`, Image),
	}
	b.WriteCodex(t, codex)
	lychdInit(t, b)

	machine := []string{
		"ok   quadlet: Quadlet 5.4.2 at /usr/libexec/podman/quadlet, run by systemd for user units",
		"ok   cgroups: cgroups v2",
		"ok   user manager: the systemd user manager of magus answers",
		"ok   linger: lingering is on for magus: the Sepulcher runs without a login session",
		"ok   subuid: magus has 65536 subordinate user ids",
		"ok   subgid: magus has 65536 subordinate group ids",
		"ok   device nvidia.com/gpu=all: CDI spec /etc/cdi/fake-gpu.yaml (soulstone gpu)",
		"ok   image " + VesselImage + ": present (one-shot migrate, core rune vessel)",
		"ok   image " + Image + ": present (soulstone gpu)",
		"ok   secret lychd-phylactery-password: present (core rune phylactery)",
		"ok   secret lychd-vessel-secret-key: present (core rune vessel)",
		fmt.Sprintf("ok   port 127.0.0.1:%d: free (core rune vessel)", ports.vessel),
	}
	code, lines := doctorLines(t, b)
	if code != 0 {
		t.Fatalf("lychd doctor before the first bind: exit %d:\n%s", code, strings.Join(lines, "\n"))
	}
	requireLines(t, lines, machine...)
	requireLines(t, lines, "warn bind: nothing is bound yet; fix: lychd bind", "no problems, 1 warning")
	if !strings.HasPrefix(lines[0], "ok   podman: Podman 5.4.") {
		t.Errorf("first line %q, want Podman 5.4", lines[0])
	}

	b.MustLychd(t, "bind")
	code, lines = doctorLines(t, b)
	if code != 0 {
		t.Fatalf("lychd doctor after bind: exit %d:\n%s", code, strings.Join(lines, "\n"))
	}
	requireLines(t, lines, machine...)
	requireLines(t, lines, "ok   bind: gen-1 is bound, and nothing changed since", "no problems")

	// A directory the core mounts gone: Podman would refuse to start the
	// Oculus; lychd init creates it again.
	b.MustUser(t, "rmdir", Home+"/.local/share/lychd/oculus")
	code, lines = doctorLines(t, b)
	if code != 1 {
		t.Fatalf("lychd doctor without the Oculus's directory: exit %d, want 1", code)
	}
	requireLines(t, lines,
		"FAIL mount ~/.local/share/lychd/oculus: ~/.local/share/lychd/oculus does not exist: Podman refuses to start core rune oculus, which mounts it; fix: lychd init (it creates every directory lychd's core mounts)",
		"1 problem, 0 warnings: this machine cannot run the Sepulcher until they are fixed")
	b.MustLychd(t, "init")
	if code, lines = doctorLines(t, b); code != 0 {
		t.Fatalf("lychd doctor after lychd init: exit %d:\n%s", code, strings.Join(lines, "\n"))
	}

	b.MustLychd(t, "start", "gpu")
	_, lines = doctorLines(t, b)
	requireLines(t, lines, fmt.Sprintf("ok   port 127.0.0.1:%d: published by lychd's running pod (core rune vessel)", ports.vessel), "no problems")

	// Lingering off: everything would stop at logout.
	b.MustRun(t, "rm", "/var/lib/systemd/linger/"+User)
	t.Cleanup(func() { b.MustRun(t, "touch", "/var/lib/systemd/linger/"+User) })
	code, lines = doctorLines(t, b)
	if code != 1 {
		t.Fatalf("lychd doctor without lingering: exit %d, want 1", code)
	}
	requireLines(t, lines,
		"FAIL linger: lingering is off for magus: systemd stops the user manager, and every container of the Sepulcher, when magus's last session ends; fix: sudo loginctl enable-linger magus",
		"1 problem, 0 warnings: this machine cannot run the Sepulcher until they are fixed")
	b.MustRun(t, "touch", "/var/lib/systemd/linger/"+User)

	// The CDI spec gone.
	b.MustRun(t, "mv", "/etc/cdi/fake-gpu.yaml", "/root/fake-gpu.yaml")
	t.Cleanup(func() { b.Run(t, "mv", "/root/fake-gpu.yaml", "/etc/cdi/fake-gpu.yaml") })
	code, lines = doctorLines(t, b)
	if code != 1 {
		t.Fatalf("lychd doctor without the CDI spec: exit %d, want 1", code)
	}
	requireLines(t, lines,
		"FAIL device nvidia.com/gpu=all: no CDI spec in /etc/cdi, /var/run/cdi defines nvidia.com/gpu=all (soulstone gpu); fix: sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml (NVIDIA Container Toolkit)")
	b.MustRun(t, "mv", "/root/fake-gpu.yaml", "/etc/cdi/fake-gpu.yaml")

	// A core secret gone: lychd init creates it again.
	b.MustUser(t, "podman", "secret", "rm", "lychd-vessel-secret-key")
	code, lines = doctorLines(t, b)
	if code != 1 {
		t.Fatalf("lychd doctor without a core secret: exit %d, want 1", code)
	}
	requireLines(t, lines,
		"FAIL secret lychd-vessel-secret-key: core rune vessel needs the Podman secret lychd-vessel-secret-key, and magus has none of that name; fix: lychd init (it creates the secrets lychd's core needs)")
	b.MustLychd(t, "init")
	code, lines = doctorLines(t, b)
	if code != 0 {
		t.Fatalf("lychd doctor after lychd init: exit %d:\n%s", code, strings.Join(lines, "\n"))
	}
	requireLines(t, lines, "ok   secret lychd-vessel-secret-key: present (core rune vessel)")

	// A localhost/ image nobody built: the pending bind's manifest is
	// checked, and the image cannot be pulled.
	codex["soulstones/gpu.toml"] = strings.Replace(codex["soulstones/gpu.toml"], Image, "localhost/never-built:1", 1)
	b.WriteCodex(t, codex)
	out, _, err := b.Lychd(t, "doctor", "--json")
	if err == nil {
		t.Fatal("lychd doctor --json with a missing localhost/ image exited 0")
	}
	var rep struct {
		OK      bool `json:"ok"`
		Results []struct{ Check, Status, Message, Fix string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("lychd doctor --json: %v\n%s", err, out)
	}
	var failed []string
	for _, r := range rep.Results {
		if r.Status != "ok" {
			failed = append(failed, r.Status+" "+r.Check+": "+r.Message+"; fix: "+r.Fix)
		}
	}
	want := []string{
		"warn bind: a bind is pending: the Codex changed since gen-1 was bound; fix: lychd bind",
		"fail image localhost/never-built:1: localhost/never-built:1 (soulstone gpu) is not in magus's image store, and a localhost/ image cannot be pulled; fix: build or load it as magus: podman build -t localhost/never-built:1 DIR, or podman load -i FILE",
	}
	if rep.OK || strings.Join(failed, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lychd doctor --json: ok %v, results not ok:\n%s\nwant:\n%s", rep.OK, strings.Join(failed, "\n"), strings.Join(want, "\n"))
	}
}
