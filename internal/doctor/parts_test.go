package doctor

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/model"
)

func TestParsePublish(t *testing.T) {
	tests := []struct {
		spec string
		want []string
	}{
		{"127.0.0.1:8080:80", []string{"tcp 127.0.0.1:8080"}},
		{"8080:80", []string{"tcp :8080"}},
		{"[::1]:8443:443/tcp", []string{"tcp [::1]:8443"}},
		{"0.0.0.0:5353:53/udp", []string{"udp 0.0.0.0:5353/udp"}},
		{"127.0.0.1:9000-9002:9000-9002", []string{"tcp 127.0.0.1:9000", "tcp 127.0.0.1:9001", "tcp 127.0.0.1:9002"}},
		{"80", nil},
		{"127.0.0.1::80", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range parsePublish(tt.spec) {
			got = append(got, p.network+" "+p.String())
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parsePublish(%q) = %q, want %q", tt.spec, got, tt.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{
		"5.4.2": {5, 4}, "5.4.0-rc1": {5, 4}, "podman version 5.3.1": {5, 3}, "10.0": {10, 0},
	} {
		got, err := ParseVersion(in)
		if err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseVersion("dev"); err == nil || err.Error() != `"dev" is not a version` {
		t.Errorf("ParseVersion(dev) error = %v", err)
	}
}

// TestBrokenCDISpec: a spec file the CDI library refuses is named in the
// failure of the device it would have defined.
func TestBrokenCDISpec(t *testing.T) {
	h, e := goodMachine(t)
	_ = h
	dir := t.TempDir()
	e.CDISpecDirs = []string{dir}
	writeSpec(t, dir, "broken.yaml", "cdiVersion: \"0.6.0\"\nkind: nvidia.com/gpu\ndevices: [{name: all}]\n")
	got := checkDevices(context.Background(), e)[0]
	wantPrefix := "no CDI spec in " + dir + " defines nvidia.com/gpu=all (soulstone vision); specs with errors: " + filepath.Join(dir, "broken.yaml") + ": "
	if got.Status != StatusFail || !strings.HasPrefix(got.Message, wantPrefix) {
		t.Fatalf("got %+v, want a failure starting %q", got, wantPrefix)
	}
}

// TestPodmanMissingEverywhere: with no podman at all, the images and
// secrets say once that they were not checked.
func TestPodmanMissingEverywhere(t *testing.T) {
	h, e := goodMachine(t)
	for k := range h.run {
		if strings.HasPrefix(k, "podman ") {
			delete(h.run, k)
		}
	}
	var got []Result
	for _, c := range Checks() {
		if c.Name == "images" || c.Name == "secrets" {
			got = append(got, c.Run(context.Background(), e)...)
		}
	}
	want := []Result{
		{Check: "images", Status: StatusWarn, Message: "not checked: podman is not installed", Fix: "install Podman (see the podman check)"},
		{Check: "secrets", Status: StatusWarn, Message: "not checked: podman is not installed", Fix: "install Podman (see the podman check)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got:\n%s\nwant:\n%s", dump(got), dump(want))
	}
}

// TestSystem runs the real host's probes.
func TestSystem(t *testing.T) {
	s := System{RuntimeDir: t.TempDir()}
	// No manager, and no session bus either.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(s.RuntimeDir, "no-bus"))
	ctx := context.Background()
	if _, err := s.Run(ctx, "lychd-no-such-program"); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("missing program: %v, want exec.ErrNotFound", err)
	}
	_, err := s.Run(ctx, "sh", "-c", "echo oops >&2; exit 3")
	if code, ran := exitCode(err); !ran || code != 3 || err.Error() != "exit status 3: oops" {
		t.Errorf("failing program: %v", err)
	}
	if out, err := s.Run(ctx, "echo", "5.4.2"); err != nil || string(out) != "5.4.2\n" {
		t.Errorf("echo: %q, %v", out, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := s.Listen("tcp", l.Addr().String()); err == nil || err.Error() != "address already in use" {
		t.Errorf("Listen on a taken port: %v, want EADDRINUSE", err)
	}
	if found, err := s.Exists(filepath.Join(t.TempDir(), "none")); found || err != nil {
		t.Errorf("Exists(missing) = %v, %v", found, err)
	}
	if err := s.UserManager(ctx); err == nil || !strings.HasPrefix(err.Error(), "nothing answers at "+filepath.Join(s.RuntimeDir, "systemd", "private")) {
		t.Errorf("UserManager without a manager: %v", err)
	}
}

// TestDocsListEveryCheck: docs/doctor.md's table has a row for every
// check (the checks of several items under the name of one item).
func TestDocsListEveryCheck(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "doctor.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(doc), "\n## The checks\n")
	items := map[string]string{"devices": "device NAME", "ports": "port ADDR:PORT", "images": "image NAME", "secrets": "secret NAME", "mounts": "mount PATH"}
	for _, c := range Checks() {
		label := c.Name
		if l, ok := items[c.Name]; ok {
			label = l
		}
		if !strings.Contains(table, "\n| `"+label+"`") && !strings.Contains(table, "`"+label+"`, `") && !strings.Contains(table, ", `"+label+"` |") {
			t.Errorf("docs/doctor.md's table has no row for the check %q (as `%s`)", c.Name, label)
		}
	}
}

func TestManifestSecrets(t *testing.T) {
	m := &model.Manifest{
		Runes: []model.Rune{
			{Name: "vessel", Kind: model.KindCore, Source: model.Source{Kind: model.SourceCore},
				Secrets: []model.Secret{{Name: "lychd-phylactery-password"}, {Name: "lychd-vessel-secret-key"}}},
			{Name: "gated", Kind: model.KindSoulstone, Source: model.Source{Kind: model.SourceCodex, Name: "soulstones/gated.toml", Line: 1},
				Secrets: []model.Secret{{Name: "hf-token", Type: "env", Target: "HF_TOKEN"}}},
		},
		Animators: []model.Animator{{Name: "openai", Kind: model.AnimatorPortal, Secrets: []model.Secret{{Name: "openai-key"}}}},
	}
	got := ManifestSecrets(m)
	want := []SecretUse{
		{Name: "hf-token", Who: "soulstone gated"},
		{Name: "lychd-phylactery-password", Who: "core rune vessel", Core: true},
		{Name: "lychd-vessel-secret-key", Who: "core rune vessel", Core: true},
		{Name: "openai-key", Who: "portal openai"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ManifestSecrets = %+v, want %+v", got, want)
	}
}
