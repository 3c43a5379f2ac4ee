package realpodman

import (
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// corePorts are the host ports of a test's pod: the machine shares the
// host's network, so each test takes free ones.
type corePorts struct{ vessel, oculus int }

// freeCorePorts returns free host ports for the core runes and sets each
// of extra to one more, all distinct (FreePorts).
func freeCorePorts(t testing.TB, extra ...*int) corePorts {
	t.Helper()
	p := FreePorts(t, 2+len(extra))
	for i, e := range extra {
		*e = p[2+i]
	}
	return corePorts{vessel: p[0], oculus: p[1]}
}

// lychdToml is a lychd.toml that runs the core runes from the test image
// on p and adds extra (alliances, [pod]) at the top.
func lychdToml(p corePorts, extra string) string {
	return extra + fmt.Sprintf(`
[core.vessel]
image = %q
host_port = %d

[core.phylactery]
image = %q

[core.oculus]
image = %q
host_port = %d
`, VesselImage, p.vessel, PhylacteryImage, OculusImage, p.oculus)
}

// pageWait bounds how long a started container's server may take to
// listen.
const pageWait = 10 * time.Second

// coreContainers are the containers lychd's core puts in the pod, with the
// pod's infra container.
var coreContainers = []string{"lychd-infra", "lychd-oculus", "lychd-phylactery", "lychd-vessel"}

// TestBindStartCore: on a fresh HOME, lychd init, lychd bind and lychd
// start of a soulstone bring up the pod with the three core runes, from
// the Codex's image overrides, with nothing prepared by hand; every
// container is in the one pod, and the ports the pod publishes answer on
// the host. The core's secrets reach their containers, and their values
// are in no unit file and no output of lychd.
func TestBindStartCore(t *testing.T) {
	b := bed(t)
	var solo int
	ports := freeCorePorts(t, &solo)
	b.WriteCodex(t, map[string]string{
		"lychd.toml": lychdToml(ports, ""),
		"soulstones/solo.toml": fmt.Sprintf(`[solo]
image = %q
port = 8101
expose_port = true
host_port = %d
environment = { NAME = "solo", PORT = "8101" }
`, Image, solo),
	})
	initOut := b.MustLychd(t, "init")
	// A directory in the Phylactery's data owned by someone else (as a
	// container without keep-id would leave it): the U of its mount
	// gives it back to the container's user when the Phylactery starts.
	b.MustRun(t, "sh", "-c", "mkdir -p "+foreignData+" && chown -R 100998:100998 "+path.Dir(foreignData))
	bindOut := b.MustLychd(t, "bind")
	startOut := b.MustLychd(t, "start", "solo")

	cs := b.Containers(t)
	want := append(slices.Clone(coreContainers), "lychd-soulstone-solo")
	slices.Sort(want)
	if got := Running(cs); !slices.Equal(got, want) {
		t.Fatalf("running containers = %v, want %v", got, want)
	}
	infra, _ := ByName(cs, "lychd-infra")
	if !infra.Infra || infra.Pod == "" {
		t.Fatalf("lychd-infra is not a pod's infra container: %+v", infra)
	}
	images := map[string]string{
		"lychd-vessel": VesselImage, "lychd-phylactery": PhylacteryImage,
		"lychd-oculus": OculusImage, "lychd-soulstone-solo": Image,
	}
	for name, image := range images {
		c, _ := ByName(cs, name)
		if c.Pod != infra.Pod {
			t.Errorf("%s is in pod %.12q, want lychd's pod %.12q", name, c.Pod, infra.Pod)
		}
		if c.Image != image {
			t.Errorf("%s runs image %s, want %s (the Codex's override)", name, c.Image, image)
		}
	}
	pods := strings.Fields(b.MustUser(t, "podman", "pod", "ps", "--format", "{{.Name}}:{{.Status}}"))
	if !slices.Equal(pods, []string{"lychd:Running"}) {
		t.Errorf("pods = %v, want [lychd:Running]", pods)
	}

	WaitPage(t, ports.vessel, "/", "hello from vessel\n", pageWait)
	WaitPage(t, ports.oculus, "/", "hello from oculus\n", pageWait)
	WaitPage(t, solo, "/", "hello from solo\n", pageWait)

	checkCoreSecrets(t, b, initOut+bindOut+startOut)
	checkVesselView(t, b)
	checkPhylacteryData(t, b)

	// lychd logs: what the containers write reaches the journal of their
	// units, for a core rune and a soulstone together.
	eventually(t, pageWait, "lychd logs vessel solo shows both containers' start", func() (bool, string) {
		out, errOut, err := b.Lychd(t, "logs", "vessel", "solo", "-n", "100")
		return err == nil && strings.Contains(out, "vessel: started: name=vessel") && strings.Contains(out, "solo: started: name=solo"), fmt.Sprintf("%v\n%s%s", err, out, errOut)
	})

	out, errOut, err := b.Lychd(t, "status")
	if err != nil {
		t.Fatalf("lychd status: %v\n%s%s", err, out, errOut)
	}
	for _, re := range []string{
		`lychd-pod.service +pod +- +active/running `,
		`lychd-vessel.service +core +- +active/running `,
		`lychd-soulstone-solo.service +soulstone +solo +active/running `,
	} {
		if !regexpMatch(re, out) {
			t.Errorf("lychd status does not match %q:\n%s", re, out)
		}
	}
}

// checkCoreSecrets: the secrets lychd init created exist in Podman, the
// Phylactery and the Vessel read each from the file their environment
// names, and no value is in a unit file (lychd's or the services Quadlet
// generated) or in output (lychd's, given).
func checkCoreSecrets(t *testing.T, b *Bed, output string) {
	t.Helper()
	names := strings.Fields(b.MustUser(t, "podman", "secret", "ls", "--format", "{{.Name}}"))
	slices.Sort(names)
	if want := []string{"lychd-phylactery-password", "lychd-vessel-secret-key"}; !slices.Equal(names, want) {
		t.Fatalf("podman secrets = %v, want %v", names, want)
	}
	values := map[string]string{}
	for _, name := range names {
		v := b.MustUser(t, "podman", "secret", "inspect", "--showsecret", "--format", "{{.SecretData}}", name)
		v = strings.TrimSuffix(v, "\n")
		if len(v) != 43 {
			t.Fatalf("secret %s holds %d bytes, want 43 (32 random bytes, base64url)", name, len(v))
		}
		values[name] = v
	}
	for _, c := range []struct{ container, env, secret string }{
		{"lychd-phylactery", "POSTGRES_PASSWORD_FILE", "lychd-phylactery-password"},
		{"lychd-vessel", "LYCHD_DB_PASSWORD_FILE", "lychd-phylactery-password"},
		{"lychd-vessel", "LYCHD_APP_SECRET_KEY_FILE", "lychd-vessel-secret-key"},
	} {
		got := b.MustUser(t, "podman", "exec", c.container, "sh", "-c", `cat "$`+c.env+`"`)
		if got != values[c.secret] {
			t.Errorf("%s: the file $%s does not hold secret %s", c.container, c.env, c.secret)
		}
	}
	// Every unit file: lychd's, and what Quadlet generated from them.
	units := b.MustUser(t, "sh", "-c", `d=~/.config/systemd/user; [ -d "$d" ] || d=
find -L ~/.config/containers/systemd "$XDG_RUNTIME_DIR/systemd/generator" $d -type f -name 'lychd*' -exec cat {} +`)
	if !strings.Contains(units, "Secret=lychd-phylactery-password") || !strings.Contains(units, "--secret lychd-phylactery-password") {
		t.Fatalf("the units do not name the Phylactery's secret:\n%s", units)
	}
	for name, v := range values {
		if strings.Contains(units, v) {
			t.Errorf("the value of secret %s is in a unit file", name)
		}
		if strings.Contains(output, v) {
			t.Errorf("the value of secret %s is in lychd's output", name)
		}
	}
}

// checkVesselView: the Vessel sees the host's paths as upstream's Vessel
// expects them. Its HOME and XDG base directories are the user's (systemd
// expanded the unit's %h), and each directory of the Codex and the Crypt
// it mounts is at the same path inside, writable where the Vessel writes
// (the lab, the Host Reactor's inbox) and read-only elsewhere; the rest of
// the Crypt (lychd's bindings) is not there.
func checkVesselView(t *testing.T, b *Bed) {
	t.Helper()
	env := strings.Split(b.MustUser(t, "podman", "exec", "lychd-vessel", "env"), "\n")
	for _, want := range []string{
		"HOME=" + Home, "XDG_CONFIG_HOME=" + Home + "/.config",
		"XDG_DATA_HOME=" + Home + "/.local/share", "XDG_CACHE_HOME=" + Home + "/.cache",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("the Vessel's environment lacks %s:\n%s", want, strings.Join(env, "\n"))
		}
	}
	want := map[string]bool{
		CodexDir:                       false,
		CryptDir + "/lab":              true,
		CryptDir + "/core":             false,
		CryptDir + "/extensions":       false,
		CryptDir + "/triggers/inbox":   true,
		CryptDir + "/triggers/journal": false,
	}
	got := map[string]bool{}
	out := b.MustUser(t, "podman", "inspect", "--format", `{{range .Mounts}}{{.Source}} {{.Destination}} {{.RW}}{{"\n"}}{{end}}`, "lychd-vessel")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasPrefix(f[1], Home+"/") {
			continue
		}
		if f[0] != f[1] {
			t.Errorf("the Vessel mounts %s at %s, want the same path inside", f[0], f[1])
		}
		got[f[1]] = f[2] == "true"
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the Vessel's mounts (path: read-write) = %v, want %v", got, want)
	}
	// The kernel agrees with what Podman reports.
	for dir, rw := range want {
		_, errOut, err := b.User(t, "podman", "exec", "lychd-vessel", "touch", dir+"/written-by-probe")
		switch {
		case rw && err != nil:
			t.Errorf("the Vessel cannot write in %s: %v %s", dir, err, errOut)
		case !rw && (err == nil || !strings.Contains(errOut, "Read-only file system")):
			t.Errorf("the Vessel's write in %s: err=%v %q, want a read-only file system", dir, err, errOut)
		}
	}
	if _, _, err := b.User(t, "podman", "exec", "lychd-vessel", "test", "-e", CryptDir+"/bindings"); err == nil {
		t.Errorf("the Vessel sees %s/bindings: the whole Crypt is mounted", CryptDir)
	}
}

// foreignData is a directory in the Phylactery's data that
// TestBindStartCore gives, with its parent, a subordinate uid of the user
// before the first start.
const foreignData = CryptDir + "/phylactery/18/foreign"

// checkPhylacteryData: the Phylactery's directory is mounted at
// /var/lib/postgresql, the postgres 18 image's VOLUME, and Podman's U
// option has given all of it to the container's user. In lychd's keep-id
// pod that user is the host's user (1000, whatever the image says), so the
// directory stays the user's on the host, and what was not theirs
// (foreignData) is theirs again.
func checkPhylacteryData(t *testing.T, b *Bed) {
	t.Helper()
	out := b.MustUser(t, "podman", "inspect", "--format", `{{range .Mounts}}{{.Source}} {{.Destination}} {{.RW}}{{"\n"}}{{end}}`, "lychd-phylactery")
	if want := CryptDir + "/phylactery /var/lib/postgresql true"; !slices.Contains(strings.Split(out, "\n"), want) {
		t.Errorf("the Phylactery's mounts:\n%s\nwant %s", out, want)
	}
	user := strings.TrimSpace(b.MustUser(t, "podman", "exec", "lychd-phylactery", "sh", "-c", "echo $(id -u):$(id -g)"))
	inside := strings.TrimSpace(b.MustUser(t, "podman", "exec", "lychd-phylactery", "stat", "-c", "%u:%g", "/var/lib/postgresql", "/var/lib/postgresql/18/foreign"))
	if want := user + "\n" + user; user != "1000:1000" || inside != want {
		t.Errorf("the Phylactery runs as %s and its data is owned by %q inside, want 1000:1000 for both", user, inside)
	}
	for _, p := range []string{CryptDir + "/phylactery", path.Dir(foreignData), foreignData} {
		if host := strings.TrimSpace(b.MustRun(t, "stat", "-c", "%u:%g", p)); host != "1000:1000" {
			t.Errorf("%s is owned by %s on the host, want 1000:1000 (%s)", p, host, User)
		}
	}
}
