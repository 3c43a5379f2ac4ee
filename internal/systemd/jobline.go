package systemd

import (
	"fmt"
	"strings"
)

// Noise reports whether a job is an implementation detail not worth a
// progress line: slices and scopes systemd creates on the way, when the job
// succeeded.
func Noise(j Job) bool {
	return (strings.HasSuffix(j.Unit, ".slice") || strings.HasSuffix(j.Unit, ".scope")) &&
		(j.Result == "" || j.Result == ResultDone) && !j.Requested
}

// JobLine describes a job for progress output: "starting X" while queued,
// then "started X", or "failed to start X (result: failed)".
func JobLine(j Job) string {
	verb, past := "running "+j.Type+" job for", "finished "+j.Type+" job for"
	switch j.Type {
	case "start":
		verb, past = "starting", "started"
	case "stop":
		verb, past = "stopping", "stopped"
	case "restart":
		verb, past = "restarting", "restarted"
	case "":
		verb, past = "changing", "changed"
	}
	switch j.Result {
	case "":
		return verb + " " + j.Unit
	case ResultDone:
		return past + " " + j.Unit
	case ResultSkipped:
		return fmt.Sprintf("skipped %s %s (condition not met)", j.Type, j.Unit)
	}
	t := j.Type
	if t == "" {
		t = "change"
	}
	return fmt.Sprintf("failed to %s %s (result: %s)", t, j.Unit, j.Result)
}
