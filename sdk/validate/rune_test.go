package validate

import (
	"reflect"
	"testing"
	"time"
)

func TestCheckRune(t *testing.T) {
	ok := Rune{Name: "a", Image: "docker.io/library/busybox:1"}
	type p struct {
		field string
		index int
		env   string
		err   string
	}
	for _, tc := range []struct {
		name string
		edit func(*Rune)
		src  Source
		want []p
	}{
		{"valid", func(r *Rune) {}, FromExtension, nil},
		{"everything wrong", func(r *Rune) {
			r.Name = "A"
			r.AlwaysOn = true
			r.Image = ""
			r.Groups = []string{"g"}
			r.Devices = []string{"/dev/dri", "/dev/dri /etc/shadow", "/dev/dri"}
			r.Exec = []string{"x", "x"}
			r.HostPort = 8080
			r.Environment = []EnvVar{{Name: "1X", Value: "v"}, {Name: "A", Value: "\n"}, {Name: "A", Value: "b"}}
			r.StartTimeout = time.Millisecond
		}, FromExtension, []p{
			{"name", -1, "", `name "A" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
			{"image", -1, "", `image is empty; write a reference such as "docker.io/library/alpine:3.20"`},
			{"groups", -1, "", `an always-on rune belongs to no coven; remove its groups or make it a soulstone`},
			{"devices", 1, "", `device "/dev/dri /etc/shadow" contains a space; Quadlet splits device values on white space and removes quotes and backslashes, so a device path may use only letters, digits and / . _ + -`},
			{"devices", 2, "", `"/dev/dri" is listed twice; list it once`},
			{"host_port", -1, "", ErrHostPortNotExposed.Error()},
			{"environment", -1, "1X", `environment variable name "1X" does not start with a letter or "_"; use letters, digits and "_", not starting with a digit (e.g. "HF_HOME")`},
			{"environment", -1, "A", `value "\n" contains the control character U+000A; remove it (values must fit on one line)`},
			{"environment", -1, "A", `variable A is set twice; set it once`},
			{"start_timeout_seconds", -1, "", `start timeout 1ms is not a whole number of seconds from 1s to 24h; pulling the image on first start counts, so allow for it (e.g. 15m)`},
		}},
		{"always-on rune called pod", func(r *Rune) { r.Name = "pod"; r.AlwaysOn = true }, FromExtension, []p{
			{"name", -1, "", `name "pod" would give the always-on rune the unit lychd-pod.service, which is the pod's own; pick another name`},
		}},
		{"soulstone called pod", func(r *Rune) { r.Name = "pod" }, FromCodex, nil},
		{"always-on rune called like a soulstone's unit", func(r *Rune) { r.Name = "soulstone-x"; r.AlwaysOn = true }, FromCore, []p{
			{"name", -1, "", `name "soulstone-x" starts with "soulstone-", which lychd keeps for its own units (lychd-soulstone-NAME); pick another name for the always-on rune`},
		}},
		{"extension rune called like a core rune", func(r *Rune) { r.Name = "vessel"; r.AlwaysOn = true }, FromExtension, []p{
			{"name", -1, "", `name "vessel" is taken by one of lychd's core runes (vessel, phylactery, oculus, migrate); pick another name`},
		}},
		{"soulstone called like a core rune", func(r *Rune) { r.Name = "oculus" }, FromCodex, []p{
			{"name", -1, "", `name "oculus" is taken by one of lychd's core runes (vessel, phylactery, oculus, migrate); pick another name`},
		}},
		{"one-shot", func(r *Rune) { r.AlwaysOn, r.OneShot = true, true; r.Exec = []string{"migrate"} }, FromExtension, nil},
		{"one-shot serving, checked, in a coven", func(r *Rune) {
			r.AlwaysOn, r.OneShot = true, true
			r.Groups = []string{"g"}
			r.Port, r.ExposePort, r.HostPort = 8081, true, 9000
			r.HealthCmd = []string{"true"}
		}, FromExtension, []p{
			{"groups", -1, "", `a one-shot rune belongs to no coven: it runs when a unit that requires it starts; remove its groups`},
			{"port", -1, "", ErrOneShotPort.Error()},
			{"health_cmd", -1, "", ErrOneShotHealth.Error()},
		}},
		{"one-shot with a host port alone", func(r *Rune) { r.AlwaysOn, r.OneShot = true, true; r.HostPort = 9000 }, FromExtension, []p{
			{"port", -1, "", ErrOneShotPort.Error()},
		}},
		{"health, shm and memory", func(r *Rune) {
			r.HealthCmd = []string{"curl", "-fsS", "http://127.0.0.1:8081/health"}
			r.ShmSize, r.Memory = "16g", "512m"
		}, FromExtension, nil},
		{"bad health, shm and memory", func(r *Rune) {
			r.HealthCmd = []string{"curl", "a\nb"}
			r.ShmSize, r.Memory = "16gb", "1m"
		}, FromExtension, []p{
			{"health_cmd", 1, "", ExecArg("a\nb").Error()},
			{"shm_size", -1, "", `shm size "16gb" is not a number with one unit; write a size such as "16g" or "512m" (units b, k, m, g)`},
			{"memory", -1, "", `memory limit "1m" is below 6m, too little to run a container; write a size such as "16g" or "512m" (units b, k, m, g)`},
		}},
		{"the core's own", func(r *Rune) { r.Name = "vessel"; r.AlwaysOn = true }, FromCore, nil},
		{"core may use %h in volumes", func(r *Rune) {
			r.Volumes = []string{"%h/.local/share/lychd:%h/.local/share/lychd:rw,Z"}
		}, FromCore, nil},
		{"extensions may not", func(r *Rune) {
			r.Volumes = []string{"%h/x:/x"}
		}, FromExtension, []p{{"volumes", 0, "", `volume "%h/x:/x" contains "%"; systemd specifiers are not allowed, write the absolute path out`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			var got []p
			for _, pr := range CheckRune(r, tc.src) {
				got = append(got, p{pr.Field, pr.Index, pr.Env, pr.Err.Error()})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("CheckRune:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestCheckSet(t *testing.T) {
	img := "docker.io/library/busybox:1"
	runes := []Rune{
		{Name: "a", Image: img, Groups: []string{"vision"}, Port: 8081},
		{Name: "b", Image: img, Groups: []string{"vision", "x"}, Port: 8081},
		{Name: "c", Image: img, Groups: []string{"tts"}, Port: 8081}, // may be allied, or not: bind judges
		{Name: "d", Image: img, AlwaysOn: true, Port: 9000, ExposePort: true},
		{Name: "e", Image: img, Port: 9000},
		{Name: "f", Image: img, Port: 7000, ExposePort: true, HostPort: 9000},
		{Name: "a", Image: img},
	}
	var got []string
	for _, p := range CheckSet(runes) {
		got = append(got, p.Error())
	}
	want := []string{
		`port 8081 is declared by rune "a" and rune "b", which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
		`port 9000 is declared by rune "d" and rune "e", which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`,
		`host port 9000 is published twice: by rune "d" and by rune "f"; set a different host_port on one of them`,
		`registered rune "a" twice; give each rune its own name`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CheckSet:\n got %q\nwant %q", got, want)
	}
}
