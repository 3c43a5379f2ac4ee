package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/model"
)

// fakeHost plays a machine: programs by their command line, files,
// addresses in use and the user manager. The checks only read it.
type fakeHost struct {
	// run maps a command line to its output or error; a program with no
	// entry is not installed.
	run    map[string]runResult
	files  map[string]string
	exists map[string]error // nil: exists; fs.ErrNotExist: absent
	taken  map[string]error // addresses that cannot be listened on
	mgr    error
}

type runResult struct {
	out string
	err error
}

func (h *fakeHost) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	line := strings.Join(append([]string{name}, args...), " ")

	r, ok := h.run[line]
	if !ok {
		return nil, fmt.Errorf("running %s: %w", name, exec.ErrNotFound)
	}
	return []byte(r.out), r.err
}

func (h *fakeHost) ReadFile(name string) ([]byte, error) {
	s, ok := h.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return []byte(s), nil
}

func (h *fakeHost) Exists(name string) (bool, error) {
	err, ok := h.exists[name]
	if !ok || errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (h *fakeHost) Listen(network, address string) error { return h.taken[network+" "+address] }

func (h *fakeHost) UserManager(context.Context) error { return h.mgr }

// exit1 is the error of a podman ... exists that found nothing.
var exit1 = &ExitError{Code: 1}

// goodMachine returns a host and an Env on which every check passes: the
// manifest has a core rune publishing 8080, a soulstone with a CDI GPU, a
// /dev device and a secret.
func goodMachine(t *testing.T) (*fakeHost, *Env) {
	t.Helper()
	cdiDir := t.TempDir()
	writeSpec(t, cdiDir, "gpu.yaml", `cdiVersion: "0.6.0"
kind: nvidia.com/gpu
devices:
  - name: all
    containerEdits:
      deviceNodes:
        - path: /dev/nvidia-fake
`)
	h := &fakeHost{
		run: map[string]runResult{
			"podman version --format {{.Client.Version}}":    {out: "5.4.2\n"},
			"/usr/libexec/podman/quadlet -version":           {out: "5.4.2\n"},
			"podman image exists docker.io/lychd/vessel:1":   {},
			"podman image exists localhost/vision:2":         {},
			"podman secret exists lychd-phylactery-password": {},
			"podman secret exists hf-token":                  {},
			"podman pod inspect lychd --format {{.State}}":   {out: "Exited\n"},
		},
		files: map[string]string{
			"/etc/subuid": "someone:100000:65536\nmagus:165536:65536\n",
			"/etc/subgid": "1000:165536:65536\n",
		},
		exists: map[string]error{
			"/usr/libexec/podman/quadlet":                            nil,
			"/usr/lib/systemd/user-generators/podman-user-generator": nil,
			"/sys/fs/cgroup/cgroup.controllers":                      nil,
			"/var/lib/systemd/linger/magus":                          nil,
			"/dev/dri/renderD128":                                    nil,
			"/home/magus/.local/share/lychd/lab":                     nil,
			"/home/magus/.config/lychd":                              nil,
			"/srv/models":                                            nil,
		},
		taken: map[string]error{},
	}
	m := &model.Manifest{
		Pod: model.Pod{UserNS: "keep-id", PublishAddress: "127.0.0.1", Publish: []string{"0.0.0.0:5353:53/udp"}},
		Runes: []model.Rune{
			{Name: "vessel", Kind: model.KindCore, Image: "docker.io/lychd/vessel:1", Port: 8080, ExposePort: true, Source: model.Source{Kind: model.SourceCore},
				Volumes: []string{"%h/.local/share/lychd/lab:%h/.local/share/lychd/lab:rw,Z", "%h/.config/lychd:%h/.config/lychd:ro,Z"}},
			{Name: "vision", Kind: model.KindSoulstone, Image: "localhost/vision:2", Devices: []string{"nvidia.com/gpu=all", "/dev/dri/renderD128"},
				Volumes: []string{"/srv/models:/models:ro", "hf-cache:/root/.cache", "%h/.config/lychd:/codex:ro"},
				Source:  model.Source{Kind: model.SourceCodex, Name: "soulstones/vision.toml", Line: 1}},
		},
	}
	e := &Env{
		Host:         h,
		User:         User{Name: "magus", UID: 1000},
		Home:         "/home/magus",
		CodexDir:     "/home/magus/.config/lychd",
		CDISpecDirs:  []string{cdiDir},
		Bound:        &Bound{Generation: "gen-2"},
		Manifest:     m,
		ManifestFrom: "the manifest of gen-2",
		Secrets: func(*model.Manifest) []SecretUse {
			return []SecretUse{{"hf-token", "soulstone vision", false}, {"lychd-phylactery-password", "core rune vessel", true}, {"hf-token", "soulstone vision", false}}
		},
	}
	return h, e
}

func writeSpec(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGoodMachine(t *testing.T) {
	_, e := goodMachine(t)
	got := Run(context.Background(), e, Checks())
	want := []Result{
		{Check: "podman", Status: StatusOK, Message: "Podman 5.4.2"},
		{Check: "quadlet", Status: StatusOK, Message: "Quadlet 5.4.2 at /usr/libexec/podman/quadlet, run by systemd for user units"},
		{Check: "cgroups", Status: StatusOK, Message: "cgroups v2"},
		{Check: "user manager", Status: StatusOK, Message: "the systemd user manager of magus answers"},
		{Check: "linger", Status: StatusOK, Message: "lingering is on for magus: the Sepulcher runs without a login session"},
		{Check: "subuid", Status: StatusOK, Message: "magus has 65536 subordinate user ids"},
		{Check: "subgid", Status: StatusOK, Message: "magus has 65536 subordinate group ids"},
		{Check: "codex", Status: StatusOK, Message: "the Codex in /home/magus/.config/lychd loads"},
		{Check: "bind", Status: StatusOK, Message: "gen-2 is bound, and nothing changed since"},
		{Check: "device nvidia.com/gpu=all", Status: StatusOK, Message: "CDI spec " + filepath.Join(e.CDISpecDirs[0], "gpu.yaml") + " (soulstone vision)"},
		{Check: "device /dev/dri/renderD128", Status: StatusOK, Message: "present (soulstone vision)"},
		{Check: "mounts", Status: StatusOK, Message: "the 3 host directories the manifest of gen-2 mounts exist"},
		{Check: "port 0.0.0.0:5353/udp", Status: StatusOK, Message: `free ([pod] publish "0.0.0.0:5353:53/udp")`},
		{Check: "port 127.0.0.1:8080", Status: StatusOK, Message: "free (core rune vessel)"},
		{Check: "image localhost/vision:2", Status: StatusOK, Message: "present (soulstone vision)"},
		{Check: "image docker.io/lychd/vessel:1", Status: StatusOK, Message: "present (core rune vessel)"},
		{Check: "secret hf-token", Status: StatusOK, Message: "present (soulstone vision)"},
		{Check: "secret lychd-phylactery-password", Status: StatusOK, Message: "present (core rune vessel)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("results:\n%s\nwant:\n%s", dump(got), dump(want))
	}
	if Failed(got) {
		t.Fatal("Failed() = true on a good machine")
	}
}

func dump(rs []Result) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s | %s | %s | %s\n", r.Check, r.Status, r.Message, r.Fix)
	}
	return b.String()
}

// TestProblems breaks one thing of the good machine at a time and checks
// the exact result of the check that finds it (and that every other
// check still passes).
func TestProblems(t *testing.T) {
	codexErrs := codex.Errors{
		{File: "lychd.toml", Line: 3, Key: "pod.userns", Msg: `"bogus" is not a user namespace mode; use keep-id`},
		{File: "soulstones/a.toml", Line: 2, Key: "a.image", Msg: "missing"},
		{File: "soulstones/b.toml", Line: 5, Key: "b.port", Msg: "not a number"},
		{File: "soulstones/c.toml", Line: 1, Msg: "bad"},
	}
	tests := []struct {
		name   string
		break_ func(h *fakeHost, e *Env)
		want   []Result
	}{
		{"no podman", func(h *fakeHost, e *Env) { delete(h.run, "podman version --format {{.Client.Version}}") },
			[]Result{{Check: "podman", Status: StatusFail, Message: "podman is not installed (not found on PATH)",
				Fix: "install Podman 5.4 or newer (the podman package of Debian 13, Ubuntu 25.04, Fedora 41 or newer)"}}},
		{"old podman", func(h *fakeHost, e *Env) {
			h.run["podman version --format {{.Client.Version}}"] = runResult{out: "4.3.1\n"}
		},
			[]Result{{Check: "podman", Status: StatusFail, Message: "Podman 4.3.1 is too old: lychd's units need 5.3 or newer (UserNS= in a .pod, StartWithPod=)",
				Fix: "install Podman 5.4 or newer (the podman package of Debian 13, Ubuntu 25.04, Fedora 41 or newer)"}}},
		{"podman broken", func(h *fakeHost, e *Env) {
			h.run["podman version --format {{.Client.Version}}"] = runResult{err: &ExitError{Code: 125, Stderr: "Error: cannot set up namespace"}}
		}, []Result{{Check: "podman", Status: StatusFail, Message: "podman version failed: exit status 125: Error: cannot set up namespace",
			Fix: "make `podman version` work for magus"}}},
		{"no quadlet", func(h *fakeHost, e *Env) { delete(h.exists, "/usr/libexec/podman/quadlet") },
			[]Result{{Check: "quadlet", Status: StatusFail,
				Message: "no Quadlet generator (looked for /usr/libexec/podman/quadlet, /usr/lib/podman/quadlet, /usr/local/libexec/podman/quadlet)",
				Fix:     "install Podman 5.4 or newer (the podman package of Debian 13, Ubuntu 25.04, Fedora 41 or newer); its package ships Quadlet"}}},
		{"old quadlet", func(h *fakeHost, e *Env) { h.run["/usr/libexec/podman/quadlet -version"] = runResult{out: "5.2.0\n"} },
			[]Result{{Check: "quadlet", Status: StatusFail,
				Message: "Quadlet 5.2.0 at /usr/libexec/podman/quadlet is too old: lychd's units need 5.3 or newer (UserNS= in a .pod, StartWithPod=)",
				Fix:     "install Podman 5.4 or newer (the podman package of Debian 13, Ubuntu 25.04, Fedora 41 or newer)"}}},
		{"no user generator", func(h *fakeHost, e *Env) { delete(h.exists, "/usr/lib/systemd/user-generators/podman-user-generator") },
			[]Result{{Check: "quadlet", Status: StatusFail,
				Message: "systemd does not run Quadlet 5.4.2 at /usr/libexec/podman/quadlet for user units (no podman-user-generator): lychd's .pod and .container files would never become services",
				Fix:     "sudo ln -s /usr/libexec/podman/quadlet /usr/lib/systemd/user-generators/podman-user-generator"}}},
		{"cgroups v1", func(h *fakeHost, e *Env) { delete(h.exists, "/sys/fs/cgroup/cgroup.controllers") },
			[]Result{{Check: "cgroups", Status: StatusFail,
				Message: "cgroups v2 is not mounted at /sys/fs/cgroup (no /sys/fs/cgroup/cgroup.controllers): rootless Podman cannot run lychd's units under systemd",
				Fix:     "boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line (the default of current distributions)"}}},
		{"no user manager", func(h *fakeHost, e *Env) {
			h.mgr = errors.New("nothing answers at /run/user/1000/systemd/private (connection refused) nor on the session bus")
		}, []Result{{Check: "user manager", Status: StatusFail,
			Message: "the systemd user manager of magus is not reachable: nothing answers at /run/user/1000/systemd/private (connection refused) nor on the session bus",
			Fix:     "log in as magus (ssh or `machinectl shell magus@`) so that `systemctl --user` works, and enable lingering"}}},
		{"no linger", func(h *fakeHost, e *Env) { delete(h.exists, "/var/lib/systemd/linger/magus") },
			[]Result{{Check: "linger", Status: StatusFail,
				Message: "lingering is off for magus: systemd stops the user manager, and every container of the Sepulcher, when magus's last session ends",
				Fix:     "sudo loginctl enable-linger magus"}}},
		{"linger unreadable", func(h *fakeHost, e *Env) { h.exists["/var/lib/systemd/linger/magus"] = fs.ErrPermission },
			[]Result{{Check: "linger", Status: StatusWarn, Message: "cannot tell whether lingering is on for magus: permission denied",
				Fix: "loginctl show-user magus -p Linger"}}},
		{"no subuid", func(h *fakeHost, e *Env) { h.files["/etc/subuid"] = "someone:100000:65536\n" },
			[]Result{{Check: "subuid", Status: StatusFail,
				Message: "magus has no subordinate user ids in /etc/subuid: rootless Podman cannot map the users of a container",
				Fix:     "sudo usermod --add-subuids 100000-165535 magus (a range no other user has in /etc/subuid), then: podman system migrate"}}},
		{"no subgid file", func(h *fakeHost, e *Env) { delete(h.files, "/etc/subgid") },
			[]Result{{Check: "subgid", Status: StatusFail,
				Message: "magus has no subordinate group ids in /etc/subgid: rootless Podman cannot map the users of a container",
				Fix:     "sudo usermod --add-subgids 100000-165535 magus (a range no other user has in /etc/subgid), then: podman system migrate"}}},
		{"few subuids", func(h *fakeHost, e *Env) { h.files["/etc/subuid"] = "magus:100000:1000\n" },
			[]Result{{Check: "subuid", Status: StatusWarn,
				Message: "magus has only 1000 subordinate user ids in /etc/subuid: images with ids of 1000 or more will not run",
				Fix:     "sudo usermod --add-subuids 100000-165535 magus (a range no other user has in /etc/subuid), then: podman system migrate"}}},
		{"codex errors", func(h *fakeHost, e *Env) { e.CodexErr = codexErrs },
			[]Result{{Check: "codex", Status: StatusFail,
				Message: `the Codex in /home/magus/.config/lychd does not load: lychd.toml:3: pod.userns: "bogus" is not a user namespace mode; use keep-id; soulstones/a.toml:2: a.image: missing; soulstones/b.toml:5: b.port: not a number (and 1 more)`,
				Fix:     "edit the lines shown; `lychd bind --dry-run` lists every problem"}}},
		{"nothing bound", func(h *fakeHost, e *Env) { e.Bound = nil },
			[]Result{{Check: "bind", Status: StatusWarn, Message: "nothing is bound yet", Fix: "lychd bind"}}},
		{"bind pending", func(h *fakeHost, e *Env) { e.Bound.Changed = []string{"the Codex", "extension ollama"} },
			[]Result{{Check: "bind", Status: StatusWarn, Message: "a bind is pending: the Codex and extension ollama changed since gen-2 was bound", Fix: "lychd bind"}}},
		{"no CDI spec", func(h *fakeHost, e *Env) { e.CDISpecDirs = []string{t.TempDir()} },
			[]Result{{Check: "device nvidia.com/gpu=all", Status: StatusFail,
				Message: "no CDI spec in " + "DIR" + " defines nvidia.com/gpu=all (soulstone vision)",
				Fix:     "sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml (NVIDIA Container Toolkit)"}}},
		{"missing device path", func(h *fakeHost, e *Env) { delete(h.exists, "/dev/dri/renderD128") },
			[]Result{{Check: "device /dev/dri/renderD128", Status: StatusFail,
				Message: "/dev/dri/renderD128 (soulstone vision) does not exist on this machine",
				Fix:     "install the device's driver, or remove the device from soulstone vision (soulstones/vision.toml:1)"}}},
		{"missing core mount", func(h *fakeHost, e *Env) { delete(h.exists, "/home/magus/.local/share/lychd/lab") },
			[]Result{{Check: "mount ~/.local/share/lychd/lab", Status: StatusFail,
				Message: "~/.local/share/lychd/lab does not exist: Podman refuses to start core rune vessel, which mounts it",
				Fix:     "lychd init (it creates every directory lychd's core mounts)"}}},
		{"missing soulstone mount", func(h *fakeHost, e *Env) { delete(h.exists, "/srv/models") },
			[]Result{{Check: "mount /srv/models", Status: StatusFail,
				Message: "/srv/models does not exist: Podman refuses to start soulstone vision, which mounts it",
				Fix:     "mkdir -p /srv/models and put in it what the container expects, or remove the volume from soulstone vision (soulstones/vision.toml:1)"}}},
		{"mount unreadable", func(h *fakeHost, e *Env) { h.exists["/srv/models"] = fs.ErrPermission },
			[]Result{{Check: "mount /srv/models", Status: StatusWarn,
				Message: "cannot tell whether /srv/models (soulstone vision) exists: permission denied",
				Fix:     "ls -ld /srv/models"}}},
		{"port taken", func(h *fakeHost, e *Env) { h.taken["tcp 127.0.0.1:8080"] = syscall.EADDRINUSE },
			[]Result{{Check: "port 127.0.0.1:8080", Status: StatusFail,
				Message: "127.0.0.1:8080 cannot be published: address already in use",
				Fix:     "stop what listens there (`ss -lntup 'sport = :8080'` shows it), or change the host port of core rune vessel"}}},
		{"udp port taken", func(h *fakeHost, e *Env) { h.taken["udp 0.0.0.0:5353"] = syscall.EADDRINUSE },
			[]Result{{Check: "port 0.0.0.0:5353/udp", Status: StatusFail,
				Message: "0.0.0.0:5353/udp cannot be published: address already in use",
				Fix:     `stop what listens there (` + "`ss -lntup 'sport = :5353'`" + ` shows it), or change the host port of [pod] publish "0.0.0.0:5353:53/udp"`}}},
		{"port held by the running pod", func(h *fakeHost, e *Env) {
			h.taken["tcp 127.0.0.1:8080"] = syscall.EADDRINUSE
			h.run["podman pod inspect lychd --format {{.State}}"] = runResult{out: "Running\n"}
		}, []Result{{Check: "port 127.0.0.1:8080", Status: StatusOK, Message: "published by lychd's running pod (core rune vessel)"}}},
		{"image to pull", func(h *fakeHost, e *Env) {
			h.run["podman image exists docker.io/lychd/vessel:1"] = runResult{err: exit1}
		},
			[]Result{{Check: "image docker.io/lychd/vessel:1", Status: StatusWarn,
				Message: "not present: Podman pulls it when core rune vessel first starts",
				Fix:     "podman pull docker.io/lychd/vessel:1 (or let the first start pull it)"}}},
		{"local image missing", func(h *fakeHost, e *Env) { h.run["podman image exists localhost/vision:2"] = runResult{err: exit1} },
			[]Result{{Check: "image localhost/vision:2", Status: StatusFail,
				Message: "localhost/vision:2 (soulstone vision) is not in magus's image store, and a localhost/ image cannot be pulled",
				Fix:     "build or load it as magus: podman build -t localhost/vision:2 DIR, or podman load -i FILE"}}},
		{"core secret missing", func(h *fakeHost, e *Env) {
			h.run["podman secret exists lychd-phylactery-password"] = runResult{err: exit1}
		},
			[]Result{{Check: "secret lychd-phylactery-password", Status: StatusFail,
				Message: "core rune vessel needs the Podman secret lychd-phylactery-password, and magus has none of that name",
				Fix:     "lychd init (it creates the secrets lychd's core needs)"}}},
		{"user secret missing", func(h *fakeHost, e *Env) { h.run["podman secret exists hf-token"] = runResult{err: exit1} },
			[]Result{{Check: "secret hf-token", Status: StatusFail,
				Message: "soulstone vision needs the Podman secret hf-token, and magus has none of that name",
				Fix:     "podman secret create hf-token - (type the value, then Ctrl-D)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, e := goodMachine(t)
			tt.break_(h, e)
			got := Run(context.Background(), e, Checks())
			var bad []Result
			for _, r := range got {
				if r.Status != StatusOK || r.Check == tt.want[0].Check {
					r.Message = strings.ReplaceAll(r.Message, strings.Join(e.CDISpecDirs, ", "), "DIR")
					bad = append(bad, r)
				}
			}
			if !reflect.DeepEqual(bad, tt.want) {
				t.Fatalf("results not ok:\n%s\nwant:\n%s", dump(bad), dump(tt.want))
			}
			wantFailed := tt.want[0].Status == StatusFail
			if Failed(got) != wantFailed {
				t.Fatalf("Failed() = %v, want %v", Failed(got), wantFailed)
			}
		})
	}
}
