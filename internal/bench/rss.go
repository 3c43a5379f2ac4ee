package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Peak is the memory high-water mark of one lychd run.
type Peak struct {
	// HostKB is the largest VmHWM of the lychd process itself, and
	// HelperKB that of the lychd-host it ran (0 when it ran none), each
	// read from /proc/PID/status while it ran (polled every millisecond; a
	// lower bound that misses at most the growth of its last millisecond).
	// Neither includes the extensions. (wait4's ru_maxrss is no use here:
	// it covers the children a process waited for and, since Go starts
	// commands with vfork, the memory of the benchmark process that
	// started it.)
	HostKB, HelperKB int64
}

// TotalKB is the sum of both peaks: an upper bound of what lychd and
// lychd-host held at the same time.
func (p Peak) TotalKB() int64 { return p.HostKB + p.HelperKB }

// RunPeak runs cmd (not started yet) to completion and measures its peak
// memory, and that of the lychd-host it runs, whose PID the WrapHost
// wrapper appends to hostRuns. Its stdout is returned; a failure carries
// stderr.
func RunPeak(cmd *exec.Cmd, hostRuns string) (string, Peak, error) {
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		return "", Peak{}, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var p Peak
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var err error
	helper := ""
wait:
	for {
		if kb, ok := vmHWM(status); ok && kb > p.HostKB {
			p.HostKB = kb
		}
		if helper == "" {
			if data, err := os.ReadFile(hostRuns); err == nil {
				if f := strings.Fields(string(data)); len(f) > 0 {
					helper = fmt.Sprintf("/proc/%s/status", f[len(f)-1])
				}
			}
		}
		if helper != "" {
			if kb, ok := vmHWM(helper); ok && kb > p.HelperKB {
				p.HelperKB = kb
			}
		}
		select {
		case err = <-done:
			break wait
		case <-tick.C:
		}
	}
	if err != nil {
		return out.String(), p, fmt.Errorf("%s %s: %w\nstderr:\n%s", cmd.Path, strings.Join(cmd.Args[1:], " "), err, errOut.String())
	}
	return out.String(), p, nil
}

// vmHWM reads the VmHWM line (kB) of a /proc/PID/status file; false once
// the process is gone or a zombie.
func vmHWM(path string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
