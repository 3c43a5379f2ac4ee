package status

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/systemd/systemdfake"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// sepulcher: pod and vessel up, coven vision active, hermes stopped, xtts
// failed, a pending reload on vpre, and a unit that is not found.
func sepulcher() []systemd.Unit {
	return []systemd.Unit{
		{Name: "lychd-soulstone-xtts.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed", InactiveEnterTimestamp: at("2026-11-25T18:02:03Z")},
		{Name: "lychd-soulstone-vpre.service", LoadState: "loaded", ActiveState: "active", SubState: "running", ActiveEnterTimestamp: at("2026-11-25T18:01:00Z"), NeedDaemonReload: true},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded", ActiveState: "active", SubState: "running", ActiveEnterTimestamp: at("2026-11-25T18:01:01Z")},
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
		{Name: "lychd-coven-vision.target", LoadState: "loaded", ActiveState: "active", SubState: "active", ActiveEnterTimestamp: at("2026-11-25T18:01:01Z"),
			ConsistsOf: []string{"lychd-soulstone-vpre.service"}, Wants: []string{"lychd-soulstone-vana.service", "lychd-soulstone-vpre.service"}},
		{Name: "lychd-hold-vision.target", LoadState: "loaded", ActiveState: "active", SubState: "active", ActiveEnterTimestamp: at("2026-11-25T18:01:00Z")},
		{Name: "lychd-vessel.service", LoadState: "loaded", ActiveState: "active", SubState: "running", ActiveEnterTimestamp: at("2026-11-25T18:00:00Z")},
		{Name: "lychd-pod.service", LoadState: "loaded", ActiveState: "active", SubState: "running", ActiveEnterTimestamp: at("2026-11-25T17:59:59Z"), PublishedPorts: []string{"8080:8080", "127.0.0.1:9000:9000"}},
		{Name: "lychd-oculus.service", LoadState: "not-found", ActiveState: "inactive", SubState: "dead"},
	}
}

func run(t *testing.T, fake *systemdfake.Manager, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	f := &cmdutil.Factory{IO: cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, Getenv: func(string) string { return "" }}
	cmd := NewCmd(f, func(ctx context.Context, o *Options) error {
		o.Manager = func(context.Context) (systemd.Manager, error) { return fake, nil }
		o.Location = time.UTC
		return Run(ctx, o)
	})
	cmd.SetArgs(append([]string{}, args...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", p, got, want)
	}
}

func TestStatusTable(t *testing.T) {
	golden(t, "table.golden", run(t, &systemdfake.Manager{Units: sepulcher()}))
}

func TestStatusJSON(t *testing.T) {
	golden(t, "json.golden", run(t, &systemdfake.Manager{Units: sepulcher()}, "--json"))
}

func TestStatusWithCovenantCovens(t *testing.T) {
	fake := &systemdfake.Manager{Units: sepulcher()}
	var out bytes.Buffer
	opts := &Options{
		IO:       cmdutil.IOStreams{Out: &out},
		Manager:  func(context.Context) (systemd.Manager, error) { return fake, nil },
		Location: time.UTC,
		// hermes is the single member of coven "reasoning"; vpre is also
		// in the coven of one "prep".
		Covens: func(context.Context) ([]Coven, error) {
			return []Coven{
				{Name: "vision", HasTarget: true, Members: []string{"lychd-soulstone-vana.service", "lychd-soulstone-vpre.service"}},
				{Name: "reasoning", Members: []string{"lychd-soulstone-hermes.service"}},
				{Name: "prep", Members: []string{"lychd-soulstone-vpre.service"}},
			}, nil
		},
	}
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	golden(t, "covenant.golden", out.String())
}

func TestStatusNothingInstalled(t *testing.T) {
	if got := run(t, &systemdfake.Manager{}); got != "no lychd units installed; run `lychd bind`\n" {
		t.Errorf("got %q", got)
	}
	want := "{\n  \"schema_version\": 1,\n  \"units\": [],\n  \"active_covens\": [],\n  \"need_daemon_reload\": false,\n  \"changed_on_disk\": [],\n  \"removed_on_disk\": false\n}\n"
	if got := run(t, &systemdfake.Manager{}, "--json"); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestStatusCodexUnreadableWarnsAndDerives(t *testing.T) {
	var out, errOut bytes.Buffer
	opts := &Options{
		IO:       cmdutil.IOStreams{Out: &out, ErrOut: &errOut},
		Manager:  func(context.Context) (systemd.Manager, error) { return &systemdfake.Manager{Units: sepulcher()}, nil },
		Location: time.UTC,
		Covens: func(context.Context) ([]Coven, error) {
			return nil, errors.New("lychd.toml:2: unknown key \"aliances\"")
		},
	}
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got := errOut.String(); got != "warning: covens are guessed from the unit names: the Codex could not be read: lychd.toml:2: unknown key \"aliances\"\n" {
		t.Errorf("stderr = %q", got)
	}
	golden(t, "table.golden", out.String())
}

func TestFromCovenant(t *testing.T) {
	g, err := covenant.Build([]model.Rune{
		{Name: "vpre", Kind: model.KindSoulstone, Image: "x", Groups: []string{"vision"}},
		{Name: "vana", Kind: model.KindSoulstone, Image: "x", Groups: []string{"vision"}},
		{Name: "hermes", Kind: model.KindSoulstone, Image: "x", Groups: []string{"reasoning"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(FromCovenant(g))
	if want := "[{reasoning [lychd-soulstone-hermes.service] false} {vision [lychd-soulstone-vana.service lychd-soulstone-vpre.service] true}]"; got != want {
		t.Errorf("FromCovenant = %s\nwant %s", got, want)
	}
}

func TestActiveCovensFollowMembersNotTargets(t *testing.T) {
	units := []systemd.Unit{
		// The target stayed active while hermes displaced its members.
		{Name: "lychd-coven-vision.target", LoadState: "loaded", ActiveState: "active", Wants: []string{"lychd-soulstone-vana.service", "lychd-soulstone-vpre.service"}},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded", ActiveState: "inactive"},
		{Name: "lychd-soulstone-vpre.service", LoadState: "loaded", ActiveState: "active"},
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", ActiveState: "active"},
	}
	rep := Build(units, DeriveCovens(units))
	if got := strings.Join(rep.ActiveCovens, ","); got != "hermes" {
		t.Errorf("active covens = %q, want hermes only", got)
	}
}

// TestStatusStoppedSepulcher: with everything stopped, status reads only the
// pod (for its ports) and, when it must derive the covens from the units,
// the coven targets; never an inactive soulstone (each read of an inactive
// unit makes systemd load the whole graph).
func TestStatusStoppedSepulcher(t *testing.T) {
	fake := &systemdfake.Manager{Units: []systemd.Unit{
		{Name: "lychd-pod.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead", PublishedPorts: []string{"8080:8080"}},
		{Name: "lychd-coven-vision.target", LoadState: "loaded", ActiveState: "inactive", SubState: "dead", Wants: []string{"lychd-soulstone-vana.service", "lychd-soulstone-vpre.service"}},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead", Conflicts: []string{"lychd-soulstone-hermes.service"}},
		{Name: "lychd-soulstone-vpre.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed", InactiveEnterTimestamp: at("2026-11-25T18:02:03Z")},
	}}
	got := run(t, fake)
	want := `UNIT                            KIND       COVENS  STATE          SINCE                PORTS
lychd-pod.service               pod        -       inactive/dead  -                    8080:8080
lychd-coven-vision.target       coven      vision  inactive/dead  -                    -
lychd-soulstone-hermes.service  soulstone  hermes  failed/failed  2026-11-25 18:02:03  -
lychd-soulstone-vana.service    soulstone  vision  inactive/dead  -                    -
lychd-soulstone-vpre.service    soulstone  vision  inactive/dead  -                    -

active covens: none
`
	if got != want {
		t.Errorf("status:\n%s\nwant:\n%s", got, want)
	}
	if calls := strings.Join(fake.Calls, "; "); calls != "list lychd-*; read lychd-pod.service; read lychd-coven-vision.target" {
		t.Errorf("calls = %s", calls)
	}
}

// TestStatusPendingFromFiles: a pending reload is told from the files'
// times against the manager's last load, without reading the inactive
// units; a unit systemd does not know yet is named too.
func TestStatusPendingFromFiles(t *testing.T) {
	p := homePaths(t)
	loaded := time.Now().Add(-time.Minute)
	if err := os.MkdirAll(p.QuadletDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, at := range map[string]time.Time{
		"lychd-soulstone-hermes.container": loaded.Add(time.Second), // changed
		"lychd-soulstone-vana.container":   loaded.Add(-time.Hour),  // not
		"lychd-soulstone-new.container":    loaded.Add(time.Second), // unknown to systemd
	} {
		f := filepath.Join(p.QuadletDir(), name)
		if err := os.WriteFile(f, []byte("[Container]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, at, at); err != nil {
			t.Fatal(err)
		}
	}
	fake := &systemdfake.Manager{LoadedAt: loaded, Units: []systemd.Unit{
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
	}}
	var out bytes.Buffer
	opts := optionsFor(fake, p, &out)
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got, want := lastLine(out.String()), "daemon-reload pending: lychd-soulstone-hermes.service, lychd-soulstone-new.service changed on disk; run: systemctl --user daemon-reload"; got != want {
		t.Errorf("last line:\n%s\nwant:\n%s", got, want)
	}
	if calls := strings.Join(fake.Calls, "; "); calls != "list lychd-*; last-load" {
		t.Errorf("calls = %s", calls)
	}

	rep := runJSON(t, opts, &out)
	if !rep.NeedDaemonReload || strings.Join(rep.ChangedOnDisk, " ") != "lychd-soulstone-hermes.service lychd-soulstone-new.service" {
		t.Errorf("report = %+v", rep)
	}
	// The new soulstone is listed from its file, not loaded by systemd yet.
	var got []string
	for _, u := range rep.Units {
		got = append(got, fmt.Sprintf("%s %s %v", u.Unit, u.LoadState, u.NeedDaemonReload))
	}
	if want := "lychd-soulstone-hermes.service loaded true, lychd-soulstone-new.service not-found true, lychd-soulstone-vana.service loaded false"; strings.Join(got, ", ") != want {
		t.Errorf("units:\n%s\nwant:\n%s", strings.Join(got, ", "), want)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestStatusDerivesCovensFromTargetFiles: without the Codex, the members of
// inactive coven targets come from the target files lychd wrote, not from
// reading each target over D-Bus.
func TestStatusDerivesCovensFromTargetFiles(t *testing.T) {
	p := homePaths(t)
	if err := os.MkdirAll(p.SystemdUserDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	target := "[Unit]\nDescription=coven vision\nWants=lychd-soulstone-vana.service \\\n  lychd-soulstone-vpre.service\n"
	if err := os.WriteFile(filepath.Join(p.SystemdUserDir(), "lychd-coven-vision.target"), []byte(target), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := &systemdfake.Manager{LoadedAt: time.Now(), Units: []systemd.Unit{
		{Name: "lychd-coven-vision.target", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
		{Name: "lychd-soulstone-vpre.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
	}}
	var out bytes.Buffer
	rep := runJSON(t, optionsFor(fake, p, &out), &out)
	for _, u := range rep.Units {
		if strings.Join(u.Covens, ",") != "vision" {
			t.Errorf("%s covens = %v, want vision", u.Unit, u.Covens)
		}
	}
	if calls := strings.Join(fake.Calls, "; "); calls != "list lychd-*; last-load" {
		t.Errorf("calls = %s", calls)
	}
}

// homePaths returns the paths of a fresh HOME.
func homePaths(t *testing.T) paths.Paths {
	t.Helper()
	home := t.TempDir()
	p, err := paths.FromEnv(func(k string) string { return map[string]string{"HOME": home}[k] })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// optionsFor returns status Options on fake and the files under p, writing
// to out.
func optionsFor(fake *systemdfake.Manager, p paths.Paths, out *bytes.Buffer) *Options {
	return &Options{
		IO:       cmdutil.IOStreams{Out: out},
		Manager:  func(context.Context) (systemd.Manager, error) { return fake, nil },
		Location: time.UTC,
		Paths:    func() (paths.Paths, error) { return p, nil },
	}
}

// runJSON runs status with --json on opts, whose output goes to out, and
// decodes the report.
func runJSON(t *testing.T, opts *Options, out *bytes.Buffer) Report {
	t.Helper()
	out.Reset()
	opts.JSON = true
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}
