package realpodman

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// Event is one record of `podman events`.
type Event struct {
	// Time is when Podman recorded the event.
	Time time.Time
	// Type is what it is about: container, pod, image, volume, ...
	Type string
	// Status is what happened: create, init, start, died, stop, cleanup,
	// remove, kill, exec, ... for containers.
	Status string
	// ID is the container's, pod's or image's full id.
	ID string
	// Name is the container's or pod's name, or the image's reference.
	Name string
	// Image is a container's image.
	Image string
	// ExitCode is set on died and exec_died events.
	ExitCode *int
	// HealthStatus is set on health_status events: starting, healthy,
	// unhealthy.
	HealthStatus string
	// Attributes are the event's labels and extra data.
	Attributes map[string]string
}

// String renders the event for failure messages.
func (e Event) String() string {
	return fmt.Sprintf("%s %s %s %s %.12s", e.Time.Format("15:04:05.000000"), e.Type, e.Status, e.Name, e.ID)
}

// ParseEvents parses `podman events --format json` output (one JSON object
// per line) and returns the events sorted by time.
func ParseEvents(out string) ([]Event, error) {
	var events []Event
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var raw struct {
			ID                string            `json:"ID"`
			Image             string            `json:"Image"`
			Name              string            `json:"Name"`
			Status            string            `json:"Status"`
			Type              string            `json:"Type"`
			TimeNano          int64             `json:"timeNano"`
			ContainerExitCode *int              `json:"ContainerExitCode"`
			HealthStatus      string            `json:"HealthStatus"`
			HealthStatusLower string            `json:"health_status"`
			Attributes        map[string]string `json:"Attributes"`
		}
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			return nil, fmt.Errorf("podman events line %d: %w: %s", n, err, line)
		}
		if raw.TimeNano == 0 || raw.Type == "" || raw.Status == "" {
			return nil, fmt.Errorf("podman events line %d: no timeNano, Type or Status: %s", n, line)
		}
		events = append(events, Event{
			Time:         time.Unix(0, raw.TimeNano),
			Type:         raw.Type,
			Status:       raw.Status,
			ID:           raw.ID,
			Name:         raw.Name,
			Image:        raw.Image,
			ExitCode:     raw.ContainerExitCode,
			HealthStatus: cmp.Or(raw.HealthStatus, raw.HealthStatusLower, raw.Attributes["health_status"]),
			Attributes:   raw.Attributes,
		})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].Time.Before(events[j].Time) })
	return events, nil
}

// Events returns what Podman recorded since the given time (which may be
// taken on the host: the machine shares its clock), oldest first. filters
// are `podman events --filter` values, e.g. "type=container".
func (b *Bed) Events(t testing.TB, since time.Time, filters ...string) []Event {
	t.Helper()
	args := []string{"podman", "events", "--stream=false", "--format", "json", "--since", since.Format(time.RFC3339Nano)}
	for _, f := range filters {
		args = append(args, "--filter", f)
	}
	events, err := ParseEvents(b.MustUser(t, args...))
	if err != nil {
		t.Fatalf("realpodman: %v", err)
	}
	return events
}

// Find returns the first event of type typ with the given status about the
// container or pod id, and whether there is one.
func Find(events []Event, typ, status, id string) (Event, bool) {
	for _, e := range events {
		if e.Type == typ && e.Status == status && e.ID == id {
			return e, true
		}
	}
	return Event{}, false
}
