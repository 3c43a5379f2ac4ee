package launch

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/lychd/lychd/sdk"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lychd/lychd/host/hosttest"
	"github.com/lychd/lychd/host/registry"
	"github.com/lychd/lychd/internal/model"
)

const (
	helperEnv = "LYCHD_LAUNCH_TEST_HELPER"
	markerEnv = "LYCHD_LAUNCH_TEST_MARKER"
)

func TestMain(m *testing.M) {
	if bin := os.Getenv(helperEnv); bin != "" {
		os.Exit(helper(bin))
	}
	os.Exit(m.Run())
}

// helper is a host that launches the extension at bin, starts an
// assimilation that forks a child and hangs, waits until the child runs,
// prints the plugin's pid, whether it is isolated and the child's pid, and
// SIGKILLs itself.
func helper(bin string) int {
	spec := Spec{Name: "actor", Path: bin, SHA256: sum(bin), StartTimeout: 10 * time.Second}
	p, err := Start(context.Background(), spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	marker := os.Getenv(markerEnv)
	cfg := fmt.Sprintf(`{"ForkStay": true, "Hang": true, "Marker": %q}`, marker)
	go p.Client.Assimilate(context.Background(), []byte(cfg), registry.New(model.Source{Kind: model.SourceExtension, Name: "actor"}))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if left := hosttest.Leftovers(marker); len(left) > 0 {
			fmt.Println(p.Pid, p.Isolated, left[0].Pid)
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "the extension's child did not start within 10s")
			return 1
		}
		time.Sleep(5 * time.Millisecond)
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	return 0
}

func sum(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// installed copies the actor test extension into a fresh directory.
func installed(t *testing.T) string {
	t.Helper()
	dir, err := hosttest.Dir()
	if err != nil {
		t.Fatalf("building the test extensions: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "actor"))
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp("/dev/shm", "lychd-launch-test-")
	if err != nil {
		tmp = t.TempDir()
	} else {
		t.Cleanup(func() { os.RemoveAll(tmp) })
	}
	bin := filepath.Join(tmp, "lychd-ext-actor")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i > 0 && len(stat) > i+2 && stat[i+2] != 'Z'
}

// A host killed with SIGKILL cannot run Close: the plugin must die anyway
// (parent-death signal), and so must the child it forked (the kernel kills
// what is left in the plugin's PID namespace when the plugin dies).
func TestPluginDiesWithSIGKILLedHost(t *testing.T) {
	bin := installed(t)
	marker := fmt.Sprintf("launch%d", time.Now().UnixNano())
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+bin, markerEnv+"="+marker)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	err = cmd.Wait()
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !st.Signaled() || st.Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v (%v), want SIGKILL; output %q", cmd.ProcessState, err, line)
	}
	fields := strings.Fields(line)
	if len(fields) != 3 {
		t.Fatalf("helper printed %q, want the plugin's pid, whether it is isolated and its child's pid", line)
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil {
		t.Fatalf("helper printed %q, want the plugin's pid", line)
	}
	isolated := fields[1] == "true"
	if !isolated && os.Getenv("CI") == "true" {
		t.Errorf("the plugin did not get its own PID namespace; user namespaces must be available in CI")
	}
	mustDie(t, pid, "the plugin")
	child, err := strconv.Atoi(fields[2])
	if err != nil {
		t.Fatalf("helper printed %q, want the child's pid", line)
	}
	if !isolated {
		syscall.Kill(child, syscall.SIGKILL)
		t.Skip("no PID namespace on this machine: the extension's own children are not covered (SECURITY.md)")
	}
	mustDie(t, child, "the extension's child")
}

// mustDie fails the test unless pid is gone within five seconds of its
// host's death.
func mustDie(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("%s (pid %d) outlived its SIGKILLed host", what, pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Start hashes the descriptor it then executes: replacing the file on disk
// after the check cannot swap the program that runs, and a changed file is
// refused before anything runs.
func TestStartVerifiesTheBinary(t *testing.T) {
	bin := installed(t)
	good := sum(bin)
	p, err := Start(context.Background(), Spec{Name: "actor", Path: bin, SHA256: good, StartTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	info, err := p.Client.Info(context.Background())
	p.Close()
	if err != nil || info.Name != "actor" || p.Protocol != sdk.ProtocolVersion || !p.Isolated {
		t.Fatalf("Info = %+v, %v; protocol %d; isolated %v", info, err, p.Protocol, p.Isolated)
	}
	if alive(p.Pid) {
		t.Errorf("plugin %d alive after Close", p.Pid)
	}
	p.Close() // idempotent

	_, err = Start(context.Background(), Spec{Name: "actor", Path: bin, SHA256: strings.Repeat("0", 64), Source: "/src/actor"})
	want := fmt.Sprintf("extension \"actor\": binary %s changed since it was installed (sha256 %s…, the lock file says 0000000000000000…); if you upgraded it on purpose, reinstall it with: lychd extension install /src/actor", bin, good[:16])
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestStartRefusesASymlinkInPlaceOfTheBinary(t *testing.T) {
	bin := installed(t)
	link := filepath.Join(filepath.Dir(bin), "lychd-ext-link")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Spec{Name: "link", Path: link, SHA256: sum(bin), Source: "/src/link"})
	want := "extension \"link\": its binary " + link + " was replaced by a symbolic link; reinstall it with: lychd extension install /src/link"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}
