package status

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/lychd/lychd/internal/systemd"
)

// Health of a unit whose container has a health check (UnitStatus.Health).
const (
	// HealthStarting: systemd's start job waits for the first passing check.
	HealthStarting = "starting"
	// HealthHealthy: the unit is active (its check passed) and Podman does
	// not report the container unhealthy.
	HealthHealthy = "healthy"
	// HealthUnhealthy: the unit is active and Podman reports the container
	// unhealthy (its check failed since).
	HealthUnhealthy = "unhealthy"
	// HealthUnknown: the unit is active and Podman could not be asked.
	HealthUnknown = "unknown"
)

// health fills in the Health of every unit with a health check: from
// systemd's state, and for the active ones from Podman's health status,
// asked once (only when such a unit is active).
func (rep *Report) health(ctx context.Context, units []systemd.Unit, unhealthy func(context.Context) (map[string]bool, error)) error {
	checked := map[string]bool{}
	active := false
	for _, u := range units {
		if u.HealthCheck {
			checked[u.Name] = true
			active = active || u.ActiveState == "active"
		}
	}
	var bad map[string]bool
	var err error
	if active {
		bad, err = unhealthy(ctx)
	}
	for i := range rep.Units {
		u := &rep.Units[i]
		if !checked[u.Unit] {
			continue
		}
		switch u.ActiveState {
		case "activating":
			u.Health = HealthStarting
		case "active":
			switch {
			case err != nil:
				u.Health = HealthUnknown
			case bad[strings.TrimSuffix(u.Unit, ".service")]:
				u.Health = HealthUnhealthy
			default:
				u.Health = HealthHealthy
			}
		}
	}
	return err
}

// podmanUnhealthy returns the names of the user's containers that Podman
// reports unhealthy.
func podmanUnhealthy(ctx context.Context) (map[string]bool, error) {
	cmd := exec.CommandContext(ctx, "podman", "ps", "--filter", "health=unhealthy", "--format", "{{.Names}}")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("asking Podman for unhealthy containers: podman ps: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	names := map[string]bool{}
	for _, n := range strings.Fields(string(out)) {
		names[n] = true
	}
	return names, nil
}
