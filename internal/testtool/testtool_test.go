package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSplitDryRun(t *testing.T) {
	got := splitDryRun("---a.service---\n[Unit]\nX=1\n\n---b.service---\n[Service]\n")
	want := map[string]string{"a.service": "[Unit]\nX=1\n\n", "b.service": "[Service]\n"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("splitDryRun = %q, want %q", got, want)
	}
}

func TestQuadletDryRun(t *testing.T) {
	units, log, err := QuadletDryRun(t, map[string]string{
		"web.container": "[Container]\nImage=docker.io/library/busybox:1.36\nExec=sleep 1\n",
	})
	if err != nil {
		t.Fatalf("quadlet: %v\n%s", err, log)
	}
	if !strings.Contains(units["web.service"], " docker.io/library/busybox:1.36 sleep 1\n") {
		t.Errorf("web.service lacks the expected ExecStart:\n%s", units["web.service"])
	}
}

func TestSystemdVerify(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.service")
	bad := filepath.Join(dir, "bad.service")
	if err := os.WriteFile(good, []byte("[Service]\nExecStart=/usr/bin/podman run x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("[Service]\nExecStart=/usr/bin/podman run x\nBogusKey=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := SystemdVerify(t, good)
	if err != nil || out != "" {
		t.Errorf("verify good unit: err=%v output=%q, want no output", err, out)
	}
	out, _ = SystemdVerify(t, bad)
	if !strings.Contains(out, "bad.service:3: Unknown key 'BogusKey' in section [Service], ignoring.") {
		t.Errorf("verify bad unit: output %q lacks the unknown-key warning", out)
	}
	if _, err := os.Stat("/usr/bin/podman"); err == nil {
		t.Log("/usr/bin/podman exists on this machine; the overlay path was not exercised")
	}
}

func TestPromtool(t *testing.T) {
	out, err := exec.Command(Promtool(t), "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "promtool") {
		t.Errorf("promtool --version: %v\n%s", err, out)
	}
	out, err = exec.Command(PrometheusServer(t), "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "prometheus") {
		t.Errorf("prometheus --version: %v\n%s", err, out)
	}
}
