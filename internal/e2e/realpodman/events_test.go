package realpodman

import (
	"strings"
	"testing"
	"time"
)

// Two lines as Podman 5.4's `podman events --format json` prints them,
// out of time order.
const eventsOut = `{"ContainerExitCode":0,"ID":"16b61401a3f7","Image":"localhost/lychd-test:latest","Name":"x","Status":"died","time":1796460507,"timeNano":1796460507898256414,"Type":"container","Attributes":{"PODMAN_SYSTEMD_UNIT":"x.service"}}
{"ID":"16b61401a3f7","Image":"localhost/lychd-test:latest","Name":"x","Status":"start","time":1796460505,"timeNano":1796460505535297488,"Type":"container","Attributes":null}

`

func TestParseEvents(t *testing.T) {
	events, err := ParseEvents(eventsOut)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("got %d events, want 2", len(events))
	}
	start, died := events[0], events[1]
	if start.Status != "start" || died.Status != "died" {
		t.Fatalf("events not sorted by time: %v", events)
	}
	if want := time.Unix(0, 1796460505535297488); !start.Time.Equal(want) {
		t.Errorf("start time = %v, want %v", start.Time, want)
	}
	if died.ExitCode == nil || *died.ExitCode != 0 || start.ExitCode != nil {
		t.Errorf("exit codes: died %v, start %v", died.ExitCode, start.ExitCode)
	}
	if died.Type != "container" || died.ID != "16b61401a3f7" || died.Name != "x" || died.Image != "localhost/lychd-test:latest" || died.Attributes["PODMAN_SYSTEMD_UNIT"] != "x.service" {
		t.Errorf("died = %+v", died)
	}
	if e, ok := Find(events, "container", "died", "16b61401a3f7"); !ok || e.Status != "died" {
		t.Errorf("Find(died) = %v, %v", e, ok)
	}
	if _, ok := Find(events, "container", "create", "16b61401a3f7"); ok {
		t.Error("Find found a create event that is not there")
	}
}

func TestParseEventsErrors(t *testing.T) {
	for in, want := range map[string]string{
		"{\"Type\":\"container\"\n":                       "podman events line 1: unexpected end of JSON input",
		"\n{\"Type\":\"container\",\"Status\":\"start\"}": "podman events line 2: no timeNano, Type or Status",
	} {
		_, err := ParseEvents(in)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ParseEvents(%q) = %v, want an error starting %q", in, err, want)
		}
	}
}
