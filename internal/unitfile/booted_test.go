package unitfile

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/e2e"
)

// TestBootedSystemdArgv is the end-to-end proof of the escaping rules: a
// .container written by File goes through the real Quadlet generator inside a
// booted systemd, systemd starts the service, and the stub podman logs the
// argv it really received. It also pins that systemd does not undo "$$" in a
// [Service] Environment= (why EnvAssign is for Quadlet's Environment= only).
func TestBootedSystemdArgv(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a machine; skipped with -short")
	}
	const desc = `100% "quoted" $HOME ${X} ✓`
	const name = "name with space $X ${Y} %h"
	f := New()
	f.Add("Unit", "Description", Literal(desc))
	f.Add("Container", "Image", Arg("example.invalid/busybox:1.36"))
	f.Add("Container", "ContainerName", Arg(name))
	for _, kv := range trickyEnv {
		f.Add("Container", "Environment", EnvAssign(kv[0], kv[1]))
	}
	for _, kv := range specifierEnv {
		f.Add("Container", "Environment", EnvSpecifier(kv[0], kv[1]))
	}
	f.Add("Container", "Exec", Words(trickyWords...))
	container, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	g := New()
	g.Add("Service", "Type", Literal("oneshot"))
	g.Add("Service", "ExecStart", Words("/bin/sh", "-c", "env > "+e2e.LogDir+"/env.txt"))
	body, err := g.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// A raw [Service] Environment=, written by hand (no constructor is
	// meant for it), shows that systemd expands '%' there but not '$'.
	envcheck := strings.Replace(string(body), "[Service]\n", "[Service]\nEnvironment=\"A=$$x %%h ${Y}\" B=$HOME\n", 1)

	// Continuation lines, a comment inside them and an escaped trailing
	// backslash, to compare Parse with systemd's own reading.
	const cont = "[Unit]\nDescription=one \\\n# skipped comment\n   two \\\nthree\\\\\n\n[Service]\nType=oneshot\nExecStart=/bin/true\n"
	parsed, err := Parse([]byte(cont))
	if err != nil {
		t.Fatal(err)
	}

	m := e2e.Boot(t, e2e.Options{})
	m.WriteFile(t, e2e.QuadletUnitDir+"/tricky.container", string(container))
	m.WriteFile(t, e2e.SystemdUserUnitDir+"/envcheck.service", string(envcheck))
	m.WriteFile(t, e2e.SystemdUserUnitDir+"/cont.service", cont)
	m.UserDaemonReload(t)
	m.MustUserRun(t, "systemctl", "--user", "start", "tricky.service", "envcheck.service")

	var argv []string
	for _, c := range m.PodmanLog(t) {
		if c.Unit == "tricky.service" && len(c.Argv) > 0 && containsWord(c.Argv, "run") {
			argv = c.Argv
			break
		}
	}
	if argv == nil {
		t.Fatalf("no podman run logged for tricky.service")
	}
	img := -1
	for i, w := range argv {
		if w == "example.invalid/busybox:1.36" {
			img = i
		}
	}
	if img < 0 {
		t.Fatalf("image missing from argv %q", argv)
	}
	if got := argv[img+1:]; !reflect.DeepEqual(got, trickyWords) {
		t.Errorf("words podman received:\n got %q\nwant %q", got, trickyWords)
	}
	var wantEnv []string
	for _, kv := range trickyEnv {
		wantEnv = append(wantEnv, kv[0]+"="+kv[1])
	}
	// systemd expanded each EnvSpecifier's %h: this is root's user
	// manager, whose home is /root.
	for _, kv := range specifierEnv {
		wantEnv = append(wantEnv, kv[0]+"="+strings.ReplaceAll(kv[2], "HOME", "/root"))
	}
	sort.Strings(wantEnv)
	if got := flagValues(argv, "--env"); !reflect.DeepEqual(got, wantEnv) {
		t.Errorf("--env podman received:\n got %q\nwant %q", got, wantEnv)
	}
	if got := flagValues(argv, "--name"); !reflect.DeepEqual(got, []string{name}) {
		t.Errorf("--name podman received: %q, want %q", got, name)
	}
	out := m.MustUserRun(t, "systemctl", "--user", "show", "-P", "Description", "tricky.service")
	if got := strings.TrimSpace(out); got != desc {
		t.Errorf("Description = %q, want %q", got, desc)
	}

	out = m.MustUserRun(t, "systemctl", "--user", "show", "-P", "Description", "cont.service")
	t.Logf("continued Description= as systemd read it: %q", out)
	if got, want := strings.TrimSuffix(out, "\n"), parsed.Get("Unit", "Description"); len(want) != 1 || got != want[0] {
		t.Errorf("systemd read the continued Description= as %q, Parse as %q", got, want)
	}

	env := m.ReadFile(t, e2e.LogDir+"/env.txt")
	for _, want := range []string{"A=$$x %h ${Y}\n", "B=$HOME\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("[Service] Environment=: env lacks %q:\n%s", want, env)
		}
	}
}

func containsWord(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}
