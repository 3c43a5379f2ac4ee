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

// RunPeak runs cmd (not started yet) to completion and returns its stdout
// and its peak memory: the largest VmHWM of the process, read from
// /proc/PID/status while it ran (polled every millisecond; a lower bound
// that misses at most the growth of its last millisecond), extensions
// excluded. (wait4's ru_maxrss is no use here: it covers the children a
// process waited for and, since Go starts commands with vfork, the memory
// of the benchmark process that started it.) A failure carries stderr.
func RunPeak(cmd *exec.Cmd) (string, int64, error) {
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		return "", 0, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peakKB int64
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		if kb, ok := vmHWM(status); ok && kb > peakKB {
			peakKB = kb
		}
		select {
		case err = <-done:
			break wait
		case <-tick.C:
		}
	}
	if err != nil {
		return out.String(), peakKB, fmt.Errorf("%s %s: %w\nstderr:\n%s", cmd.Path, strings.Join(cmd.Args[1:], " "), err, errOut.String())
	}
	return out.String(), peakKB, nil
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
