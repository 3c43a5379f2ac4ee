// Command stubpodman plays /usr/bin/podman inside the e2e test machine well
// enough for the services Quadlet generates, without running containers.
//
// Every invocation appends JSON lines to a log (LYCHD_STUB_PODMAN_LOG,
// default /mnt/e2e/podman.log, bind-mounted from the host), each with a
// nanosecond wall-clock timestamp, the pid, the systemd unit
// (PODMAN_SYSTEMD_UNIT, which Quadlet sets) and an event:
//
//	call      every invocation, with its argv
//	started   a container is ready (logged just before READY=1) or a pod's infra runs
//	stopping  a container or pod infra got SIGTERM
//	stopped   it is about to exit
//	failed    run refused to start because the unit is in LYCHD_STUB_PODMAN_FAIL
//
// Behaviour per sub-command:
//
//	run --cidfile=F ...        writes its pid to F, sends READY=1 to systemd
//	                           (Quadlet's services are Type=notify,
//	                           NotifyAccess=all; this process is the main pid),
//	                           waits for SIGTERM, then sleeps the stop delay
//	                           (LYCHD_STUB_PODMAN_STOP_DELAY, default 300ms) so
//	                           that overlapping lifetimes are visible, and exits 0
//	run ... without -d         a foreground run (a Type=oneshot service, which
//	                           Quadlet runs without -d): logs started and
//	                           stopped and exits 0 at once, a task run to
//	                           completion
//	rm|stop --cidfile=F        TERMs the pid in F and waits until it is gone
//	pod create                 records the pod (--pod-id-file, --infra-conmon-pidfile)
//	pod start --pod-id-file=F  forks an infra process, writes its pid to the
//	                           pidfile (the pod service is Type=forking)
//	pod stop|rm --pod-id-file  TERMs the infra process and waits; rm forgets the pod
//	anything else              exits 0
//
// The environment comes from the systemd manager, so tests change the
// behaviour with `systemctl --user set-environment`.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

const infraArg = "__stub-infra"

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == infraArg {
		os.Exit(infra())
	}
	logEvent("call", os.Args)
	os.Exit(dispatch(args))
}

func dispatch(args []string) int {
	if len(args) == 0 {
		return 0
	}
	switch args[0] {
	case "run":
		return run(args[1:])
	case "rm", "stop":
		return stopPidFile(flagValue(args, "--cidfile"), false)
	case "pod":
		if len(args) < 2 {
			return 0
		}
		switch args[1] {
		case "create":
			return podCreate(args[2:])
		case "start":
			return podStart(args[2:])
		case "stop":
			return podStop(args[2:], false)
		case "rm":
			return podStop(args[2:], true)
		}
	}
	return 0
}

func run(args []string) int {
	unit := os.Getenv("PODMAN_SYSTEMD_UNIT")
	for _, f := range strings.Split(os.Getenv("LYCHD_STUB_PODMAN_FAIL"), ",") {
		if f != "" && f == unit {
			logEvent("failed", nil)
			fmt.Fprintf(os.Stderr, "stub podman: refusing to run %s (LYCHD_STUB_PODMAN_FAIL)\n", unit)
			return 125
		}
	}
	if !detached(args) {
		logEvent("started", nil)
		logEvent("stopped", nil)
		return 0
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	cidfile := flagValue(args, "--cidfile")
	if cidfile != "" {
		if err := writeFile(cidfile, strconv.Itoa(os.Getpid())); err != nil {
			fmt.Fprintln(os.Stderr, "stub podman:", err)
			return 125
		}
	}
	// Logged before READY=1: once systemd has it, it may start the units
	// ordered after this one, whose events must come later in the log.
	logEvent("started", nil)
	if _, err := daemon.SdNotify(false, daemon.SdNotifyReady); err != nil {
		fmt.Fprintln(os.Stderr, "stub podman: sd_notify:", err)
	}
	<-sigs
	logEvent("stopping", nil)
	time.Sleep(stopDelay())
	if cidfile != "" {
		_ = os.Remove(cidfile)
	}
	logEvent("stopped", nil)
	return 0
}

// detached reports whether the podman run arguments hold -d (Quadlet
// writes it before the image; lychd's test units pass no -d to the image).
func detached(args []string) bool {
	for _, a := range args {
		if a == "-d" || a == "--detach" {
			return true
		}
	}
	return false
}

// pod is what pod create records in the pod id file.
type pod struct {
	Name    string `json:"name"`
	PIDFile string `json:"pidfile"`
}

func podCreate(args []string) int {
	p := pod{Name: flagValue(args, "--name"), PIDFile: flagValue(args, "--infra-conmon-pidfile")}
	idFile := flagValue(args, "--pod-id-file")
	if idFile == "" {
		return 0
	}
	b, _ := json.Marshal(p)
	if err := writeFile(idFile, string(b)); err != nil {
		fmt.Fprintln(os.Stderr, "stub podman:", err)
		return 125
	}
	return 0
}

func readPod(args []string) (pod, error) {
	var p pod
	b, err := os.ReadFile(flagValue(args, "--pod-id-file"))
	if err != nil {
		return p, err
	}
	return p, json.Unmarshal(b, &p)
}

func podStart(args []string) int {
	p, err := readPod(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stub podman: pod start:", err)
		return 125
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stub podman:", err)
		return 125
	}
	cmd := exec.Command(self, infraArg, p.Name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	ready, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stub podman:", err)
		return 125
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "stub podman: starting infra:", err)
		return 125
	}
	// The infra process writes one byte once it handles SIGTERM.
	if _, err := ready.Read(make([]byte, 1)); err != nil {
		fmt.Fprintln(os.Stderr, "stub podman: infra did not start:", err)
		return 125
	}
	if p.PIDFile != "" {
		if err := writeFile(p.PIDFile, strconv.Itoa(cmd.Process.Pid)); err != nil {
			fmt.Fprintln(os.Stderr, "stub podman:", err)
			return 125
		}
	}
	_ = cmd.Process.Release()
	return 0
}

func infra() int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	logEvent("started", nil)
	_, _ = os.Stdout.Write([]byte{'\n'})
	_ = os.Stdout.Close()
	<-sigs
	logEvent("stopping", nil)
	time.Sleep(stopDelay())
	logEvent("stopped", nil)
	return 0
}

func podStop(args []string, remove bool) int {
	p, err := readPod(args)
	if err != nil {
		return 0 // --ignore
	}
	rc := stopPidFile(p.PIDFile, remove)
	if remove {
		_ = os.Remove(flagValue(args, "--pod-id-file"))
	}
	return rc
}

// stopPidFile TERMs the process whose pid is in file and waits until it is
// gone. A missing file or process is not an error (podman's --ignore).
func stopPidFile(file string, remove bool) int {
	if file == "" {
		return 0
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return 0
	}
	deadline := time.Now().Add(30 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			fmt.Fprintf(os.Stderr, "stub podman: pid %d ignored SIGTERM for 30s; killed\n", pid)
			return 125
		}
		time.Sleep(5 * time.Millisecond)
	}
	if remove {
		_ = os.Remove(file)
	}
	return 0
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func stopDelay() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("LYCHD_STUB_PODMAN_STOP_DELAY")); err == nil {
		return d
	}
	return 300 * time.Millisecond
}

// flagValue returns the value of a --flag=value or --flag value argument.
func flagValue(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

// logEvent appends one JSON line with a single write, so concurrent
// invocations do not interleave.
func logEvent(event string, argv []string) {
	path := os.Getenv("LYCHD_STUB_PODMAN_LOG")
	if path == "" {
		path = "/mnt/e2e/podman.log"
	}
	rec := struct {
		NS    int64    `json:"ns"`
		PID   int      `json:"pid"`
		Unit  string   `json:"unit"`
		Event string   `json:"event"`
		Argv  []string `json:"argv,omitempty"`
	}{time.Now().UnixNano(), os.Getpid(), os.Getenv("PODMAN_SYSTEMD_UNIT"), event, argv}
	b, _ := json.Marshal(rec)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stub podman: log:", err)
		return
	}
	_, _ = f.Write(append(b, '\n'))
	_ = f.Close()
}
