package realpodman

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Container is what `podman container inspect` says about a container.
type Container struct {
	// ID is the full container id.
	ID string
	// Name is the container's name.
	Name string
	// Image is the image reference it was created from.
	Image string
	// Status is Podman's state: created, running, exited, ...
	Status string
	// StartedAt is when it was last started.
	StartedAt time.Time
	// Pod is the id of its pod; empty outside a pod.
	Pod string
	// Infra is true for a pod's infra container.
	Infra bool
	// Env is its configured environment.
	Env []string
}

// Containers returns every container Podman knows (running or not),
// sorted by name.
func (b *Bed) Containers(t testing.TB) []Container {
	t.Helper()
	// A container may be removed between the listing and the inspection
	// (systemd removes a stopped unit's container): list again then.
	for try := 1; ; try++ {
		ids := strings.Fields(b.MustUser(t, "podman", "ps", "--all", "--quiet", "--no-trunc"))
		if len(ids) == 0 {
			return nil
		}
		out, errOut, err := b.User(t, append([]string{"podman", "container", "inspect"}, ids...)...)
		if err != nil {
			if strings.Contains(errOut, "no such container") && try < 10 {
				continue
			}
			t.Fatalf("realpodman: podman container inspect: %v\n%s", err, errOut)
		}
		cs, err := parseInspect(out)
		if err != nil {
			t.Fatalf("realpodman: %v", err)
		}
		return cs
	}
}

func parseInspect(out string) ([]Container, error) {
	var raw []struct {
		ID        string `json:"Id"`
		Name      string `json:"Name"`
		ImageName string `json:"ImageName"`
		Pod       string `json:"Pod"`
		IsInfra   bool   `json:"IsInfra"`
		State     struct {
			Status    string    `json:"Status"`
			StartedAt time.Time `json:"StartedAt"`
		} `json:"State"`
		Config struct {
			Env []string `json:"Env"`
		} `json:"Config"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		return nil, fmt.Errorf("podman container inspect: %w", err)
	}
	cs := make([]Container, len(raw))
	for i, r := range raw {
		cs[i] = Container{
			ID: r.ID, Name: r.Name, Image: r.ImageName, Status: r.State.Status,
			StartedAt: r.State.StartedAt, Pod: r.Pod, Infra: r.IsInfra, Env: r.Config.Env,
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs, nil
}

// Running returns the names of the running containers, sorted.
func Running(cs []Container) []string {
	var names []string
	for _, c := range cs {
		if c.Status == "running" {
			names = append(names, c.Name)
		}
	}
	return names
}

// ByName returns the container with the given name, and whether there is
// one.
func ByName(cs []Container, name string) (Container, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return Container{}, false
}

// Unit is what the user's systemd manager says about a unit.
type Unit struct {
	// Name is the unit's name.
	Name string
	// ActiveState and SubState are systemd's states, e.g. active/running.
	ActiveState, SubState string
	// Result is the outcome of the unit's last run, e.g. success.
	Result string
	// InvocationID changes every time the unit is started.
	InvocationID string
	// NRestarts counts automatic restarts (Restart=).
	NRestarts int
}

// Units returns systemd's view of the named user units.
func (b *Bed) Units(t testing.TB, names ...string) map[string]Unit {
	t.Helper()
	out := b.Systemctl(t, append([]string{"show", "--property=Id,ActiveState,SubState,Result,InvocationID,NRestarts"}, names...)...)
	units := map[string]Unit{}
	for _, block := range strings.Split(strings.TrimSpace(out), "\n\n") {
		var u Unit
		for _, line := range strings.Split(block, "\n") {
			k, v, _ := strings.Cut(line, "=")
			switch k {
			case "Id":
				u.Name = v
			case "ActiveState":
				u.ActiveState = v
			case "SubState":
				u.SubState = v
			case "Result":
				u.Result = v
			case "InvocationID":
				u.InvocationID = v
			case "NRestarts":
				u.NRestarts, _ = strconv.Atoi(v)
			}
		}
		units[u.Name] = u
	}
	for _, n := range names {
		if _, ok := units[n]; !ok {
			t.Fatalf("realpodman: systemctl --user show said nothing about %s:\n%s", n, out)
		}
	}
	return units
}

// userManagerCgroup is the cgroup of the user's systemd manager inside the
// machine: every unit it runs (Podman, conmon, the containers) is below it.
const userManagerCgroup = "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service"

// UserCPU returns the CPU time (user and system) that the processes of the
// user's systemd manager have used since it started: usage_usec of its
// cgroup's cpu.stat, which cgroup v2 keeps without any controller. lychd
// and systemctl run by the tests are not among them.
func (b *Bed) UserCPU(t testing.TB) time.Duration {
	t.Helper()
	out, errOut, err := b.Exec(nil, "cat", userManagerCgroup+"/cpu.stat")
	if err != nil {
		t.Fatalf("realpodman: reading %s/cpu.stat: %v\n%s", userManagerCgroup, err, errOut)
	}
	d, err := parseCPUStat(out)
	if err != nil {
		t.Fatalf("realpodman: %s/cpu.stat: %v", userManagerCgroup, err)
	}
	return d
}

// parseCPUStat returns usage_usec of a cgroup v2 cpu.stat.
func parseCPUStat(s string) (time.Duration, error) {
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok || k != "usage_usec" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("usage_usec %q: %w", v, err)
		}
		return time.Duration(n) * time.Microsecond, nil
	}
	return 0, fmt.Errorf("no usage_usec line in:\n%s", s)
}
