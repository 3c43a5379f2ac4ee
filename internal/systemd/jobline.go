package systemd

import (
	"context"
	"errors"
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
	case ResultRestarted:
		return fmt.Sprintf("failed to start %s (it was not ready within its start timeout, or exited, and systemd restarted it)", j.Unit)
	}
	t := j.Type
	if t == "" {
		t = "change"
	}
	return fmt.Sprintf("failed to %s %s (result: %s)", t, j.Unit, j.Result)
}

// Outcome turns what a Start or Stop returned into the command's error:
// nil when every job finished with "done" (skipped jobs count as done);
// the failed units with the journal command to read; or, when the wait
// was interrupted (Ctrl-C), what systemd is still doing, since its jobs go
// on without lychd.
func Outcome(verb string, jobs []Job, err error) error {
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			var left []string
			for _, j := range jobs {
				if j.Result == "" && !Noise(j) {
					left = append(left, strings.TrimSpace(j.Type+" "+j.Unit))
				}
			}
			if len(left) == 0 {
				return fmt.Errorf("interrupted: lychd stopped waiting for the %s jobs", verb)
			}
			return fmt.Errorf("interrupted: lychd stopped waiting, and systemd goes on with: %s (follow them with: systemctl --user list-jobs)", strings.Join(left, ", "))
		}
		return err
	}
	var bad, left []string
	for _, j := range jobs {
		switch {
		case j.Result == "" && !Noise(j):
			left = append(left, strings.TrimSpace(j.Type+" "+j.Unit))
		case j.Result != "" && j.Result != ResultDone && j.Result != ResultSkipped:
			bad = append(bad, j.Unit)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s failed for %s; see: journalctl --user -u %s", verb, strings.Join(bad, ", "), strings.Join(bad, " -u "))
	if len(left) > 0 {
		msg += fmt.Sprintf("; lychd stopped waiting, and systemd goes on with: %s", strings.Join(left, ", "))
	}
	return errors.New(msg)
}
