package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/lychd/lychd/internal/codex"
)

// minPodman is the oldest Podman (and Quadlet) whose generator accepts
// every key lychd writes: UserNS= in a .pod and StartWithPod= came in
// 5.3. lychd is tested with 5.4.
var minPodman = Version{Major: 5, Minor: 3}

// quadletPaths are where distributions install the Quadlet generator.
var quadletPaths = []string{
	"/usr/libexec/podman/quadlet",
	"/usr/lib/podman/quadlet",
	"/usr/local/libexec/podman/quadlet",
}

// userGeneratorPaths are where systemd finds the link that runs Quadlet
// for user units.
var userGeneratorPaths = []string{
	"/usr/lib/systemd/user-generators/podman-user-generator",
	"/usr/local/lib/systemd/user-generators/podman-user-generator",
	"/etc/systemd/user-generators/podman-user-generator",
	"/lib/systemd/user-generators/podman-user-generator",
}

// CgroupControllers exists when the unified cgroup hierarchy (v2) is
// mounted at /sys/fs/cgroup.
const CgroupControllers = "/sys/fs/cgroup/cgroup.controllers"

// LingerDir holds one file per user with lingering enabled.
const LingerDir = "/var/lib/systemd/linger"

// MinSubIDs is how many subordinate ids rootless Podman needs to map the
// users of ordinary images.
const MinSubIDs = 65536

// Checks returns every check, in the order lychd doctor runs them.
func Checks() []Check {
	return []Check{
		{Name: "podman", Run: checkPodman},
		{Name: "quadlet", Run: checkQuadlet},
		{Name: "cgroups", Run: checkCgroups},
		{Name: "user manager", Run: checkUserManager},
		{Name: "linger", Run: checkLinger},
		{Name: "subuid", Run: func(_ context.Context, e *Env) []Result { return checkSubIDs(e, "subuid", "/etc/subuid") }},
		{Name: "subgid", Run: func(_ context.Context, e *Env) []Result { return checkSubIDs(e, "subgid", "/etc/subgid") }},
		{Name: "codex", Run: checkCodex},
		{Name: "bind", Run: checkBind},
		{Name: "devices", Run: needsManifest("devices", checkDevices)},
		{Name: "mounts", Run: needsManifest("mounts", checkMounts)},
		{Name: "ports", Run: needsManifest("ports", checkPorts)},
		{Name: "images", Run: needsManifest("images", checkImages)},
		{Name: "secrets", Run: needsManifest("secrets", checkSecrets)},
	}
}

// Version is a Podman version's major and minor number.
type Version struct{ Major, Minor int }

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	return v.Major < w.Major || v.Major == w.Major && v.Minor < w.Minor
}

// ParseVersion reads the major and minor number of a version such as
// "5.4.2", "5.4.0-rc1" or "podman version 5.4.2".
func ParseVersion(s string) (Version, error) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		s = s[i+1:]
	}
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("%q is not a version", s)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return Version{}, fmt.Errorf("%q is not a version", s)
	}
	return Version{Major: major, Minor: minor}, nil
}

const installPodman = "install Podman 5.4 or newer (the podman package of Debian 13, Ubuntu 25.04, Fedora 41 or newer)"

func checkPodman(ctx context.Context, e *Env) []Result {
	out, err := e.Host.Run(ctx, "podman", "version", "--format", "{{.Client.Version}}")
	if notInstalled(err) {
		return []Result{fail("podman", installPodman, "podman is not installed (not found on PATH)")}
	}
	if err != nil {
		return []Result{fail("podman", "make `podman version` work for "+e.User.Name, "podman version failed: %v", err)}
	}
	raw := firstLine(string(out))
	v, err := ParseVersion(raw)
	if err != nil {
		return []Result{fail("podman", "make `podman version` work for "+e.User.Name, "cannot read podman's version: %v", err)}
	}
	if v.Less(minPodman) {
		return []Result{fail("podman", installPodman, "Podman %s is too old: lychd's units need %s or newer (UserNS= in a .pod, StartWithPod=)", raw, minPodman)}
	}
	return []Result{ok("podman", "Podman %s", raw)}
}

func checkQuadlet(ctx context.Context, e *Env) []Result {
	var quadlet string
	for _, p := range quadletPaths {
		found, err := e.Host.Exists(p)
		if err != nil {
			return []Result{fail("quadlet", "check the permissions of "+p, "cannot look for Quadlet: %v", err)}
		}
		if found {
			quadlet = p
			break
		}
	}
	if quadlet == "" {
		return []Result{fail("quadlet", installPodman+"; its package ships Quadlet",
			"no Quadlet generator (looked for %s)", strings.Join(quadletPaths, ", "))}
	}
	out, err := e.Host.Run(ctx, quadlet, "-version")
	if err != nil {
		return []Result{fail("quadlet", installPodman, "%s -version failed: %v", quadlet, err)}
	}
	raw := firstLine(string(out))
	v, err := ParseVersion(raw)
	if err != nil {
		return []Result{fail("quadlet", installPodman, "cannot read the version of %s: %v", quadlet, err)}
	}
	if v.Less(minPodman) {
		return []Result{fail("quadlet", installPodman, "Quadlet %s at %s is too old: lychd's units need %s or newer (UserNS= in a .pod, StartWithPod=)", raw, quadlet, minPodman)}
	}
	for _, g := range userGeneratorPaths {
		if found, _ := e.Host.Exists(g); found {
			return []Result{ok("quadlet", "Quadlet %s at %s, run by systemd for user units", raw, quadlet)}
		}
	}
	return []Result{fail("quadlet", "sudo ln -s "+quadlet+" "+userGeneratorPaths[0],
		"systemd does not run Quadlet %s at %s for user units (no podman-user-generator): lychd's .pod and .container files would never become services", raw, quadlet)}
}

func checkCgroups(_ context.Context, e *Env) []Result {
	found, err := e.Host.Exists(CgroupControllers)
	if err != nil {
		return []Result{fail("cgroups", "check the permissions of "+CgroupControllers, "cannot tell the cgroup version: %v", err)}
	}
	if !found {
		return []Result{fail("cgroups", "boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line (the default of current distributions)",
			"cgroups v2 is not mounted at /sys/fs/cgroup (no %s): rootless Podman cannot run lychd's units under systemd", CgroupControllers)}
	}
	return []Result{ok("cgroups", "cgroups v2")}
}

func checkUserManager(ctx context.Context, e *Env) []Result {
	if err := e.Host.UserManager(ctx); err != nil {
		return []Result{fail("user manager", fmt.Sprintf("log in as %s (ssh or `machinectl shell %s@`) so that `systemctl --user` works, and enable lingering", e.User.Name, e.User.Name),
			"the systemd user manager of %s is not reachable: %v", e.User.Name, err)}
	}
	return []Result{ok("user manager", "the systemd user manager of %s answers", e.User.Name)}
}

func checkLinger(_ context.Context, e *Env) []Result {
	path := LingerDir + "/" + e.User.Name
	found, err := e.Host.Exists(path)
	if err != nil {
		return []Result{warn("linger", "loginctl show-user "+e.User.Name+" -p Linger", "cannot tell whether lingering is on for %s: %v", e.User.Name, err)}
	}
	if !found {
		return []Result{fail("linger", "sudo loginctl enable-linger "+e.User.Name,
			"lingering is off for %s: systemd stops the user manager, and every container of the Sepulcher, when %s's last session ends", e.User.Name, e.User.Name)}
	}
	return []Result{ok("linger", "lingering is on for %s: the Sepulcher runs without a login session", e.User.Name)}
}

// checkSubIDs checks the user's ranges in /etc/subuid or /etc/subgid.
func checkSubIDs(e *Env, name, path string) []Result {
	flag := "--add-subuids"
	what := "user"
	if name == "subgid" {
		flag, what = "--add-subgids", "group"
	}
	fix := fmt.Sprintf("sudo usermod %s 100000-165535 %s (a range no other user has in %s), then: podman system migrate", flag, e.User.Name, path)
	data, err := e.Host.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return []Result{fail(name, "check the permissions of "+path, "cannot read %s: %v", path, err)}
	}
	total := 0
	uid := strconv.Itoa(e.User.UID)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(strings.TrimSpace(line), ":")
		if len(f) != 3 || (f[0] != e.User.Name && f[0] != uid) {
			continue
		}
		if n, err := strconv.Atoi(f[2]); err == nil && n > 0 {
			total += n
		}
	}
	if total == 0 {
		return []Result{fail(name, fix, "%s has no subordinate %s ids in %s: rootless Podman cannot map the users of a container", e.User.Name, what, path)}
	}
	if total < MinSubIDs {
		return []Result{warn(name, fix, "%s has only %d subordinate %s ids in %s: images with ids of %d or more will not run", e.User.Name, total, what, path, total)}
	}
	return []Result{ok(name, "%s has %d subordinate %s ids", e.User.Name, total, what)}
}

// maxCodexErrors is how many of the Codex's problems the codex check
// shows.
const maxCodexErrors = 3

func checkCodex(_ context.Context, e *Env) []Result {
	if e.CodexErr == nil {
		return []Result{ok("codex", "the Codex in %s loads", e.CodexDir)}
	}
	var errs codex.Errors
	if !errors.As(e.CodexErr, &errs) || len(errs) == 0 {
		return []Result{fail("codex", "make "+e.CodexDir+" readable", "the Codex in %s does not load: %v", e.CodexDir, e.CodexErr)}
	}
	shown := make([]string, 0, maxCodexErrors)
	for _, err := range errs[:min(len(errs), maxCodexErrors)] {
		shown = append(shown, err.Error())
	}
	more := ""
	if len(errs) > maxCodexErrors {
		more = fmt.Sprintf(" (and %d more)", len(errs)-maxCodexErrors)
	}
	return []Result{fail("codex", "edit the lines shown; `lychd bind --dry-run` lists every problem",
		"the Codex in %s does not load: %s%s", e.CodexDir, strings.Join(shown, "; "), more)}
}

func checkBind(_ context.Context, e *Env) []Result {
	if e.BoundErr != nil {
		return []Result{fail("bind", "lychd bind", "%v", e.BoundErr)}
	}
	if e.Bound == nil {
		return []Result{warn("bind", "lychd bind", "nothing is bound yet")}
	}
	if len(e.Bound.Changed) > 0 {
		return []Result{warn("bind", "lychd bind", "a bind is pending: %s changed since %s was bound", strings.Join(e.Bound.Changed, " and "), e.Bound.Generation)}
	}
	return []Result{ok("bind", "%s is bound, and nothing changed since", e.Bound.Generation)}
}
