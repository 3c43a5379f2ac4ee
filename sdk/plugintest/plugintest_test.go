package plugintest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/plugintest"
	"github.com/lychd/lychd/sdk/plugintest/internal/fixture"
	"github.com/lychd/lychd/sdk/preset"
)

var wantRunes = []sdk.Rune{{
	Name:        "fixture-analyzer",
	Description: "Fixture analyzer",
	Image:       "ghcr.io/example/analyzer:1.0",
	Groups:      []string{"fixture"},
	After:       []string{"lychd-fixture-helper.service"},
	Wants:       []string{"lychd-fixture-helper.service"},
	Requires:    []string{"lychd-fixture-helper.service"},
	Port:        8081,
	ExposePort:  true,
	HostPort:    18081,
	Devices:     []string{"nvidia.com/gpu=all"},
	Volumes:     []string{"lychd-fixture-cache:/cache:rw,Z"},
	Environment: map[string]string{"MODEL": "qwen"},
	Exec:        []string{"--model", "qwen"},

	StartTimeout: 15 * time.Minute,
}, {Name: "fixture-helper", Kind: sdk.AlwaysOn, Image: "docker.io/library/busybox:1.36"}}

var wantAnimators = []sdk.Animator{
	{Name: "fixture-eye", Rune: "fixture-analyzer", Capabilities: []string{"OpenAIChatCompletions"}, Tags: []string{"vision", "ocr"}},
	{Name: "fixture-remote", Kind: sdk.AnimatorPortal, URL: "https://api.example.com/v1", Capabilities: []string{"OpenAIChatCompletions"}},
}

// TestBothPathsAgree runs the fixture in-process and as its real binary and
// expects the exact same Result, logs included.
func TestBothPathsAgree(t *testing.T) {
	bin := plugintest.BuildBinary(t, "testdata/fixture")
	cfg := plugintest.WithConfig(map[string]any{"model": "qwen"})
	for name, r := range map[string]*plugintest.Result{
		"in-process": plugintest.Assimilate(t, fixture.Fixture{}, cfg),
		"binary":     plugintest.AssimilateBinary(t, bin, cfg),
	} {
		t.Run(name, func(t *testing.T) {
			plugintest.Check(t, r)
			if want := (sdk.Info{Name: "fixture", Version: "0.1.0", Description: "plugintest fixture"}); r.Info != want {
				t.Errorf("Info = %+v, want %+v", r.Info, want)
			}
			if !reflect.DeepEqual(r.Runes, wantRunes) {
				t.Errorf("Runes:\n got %+v\nwant %+v", r.Runes, wantRunes)
			}
			if !reflect.DeepEqual(r.Animators, wantAnimators) {
				t.Errorf("Animators:\n got %+v\nwant %+v", r.Animators, wantAnimators)
			}
			if want := []string{"[INFO] assimilating: model=qwen runes=2"}; !reflect.DeepEqual(r.Logs, want) {
				t.Errorf("Logs = %q, want %q", r.Logs, want)
			}
			if p, ok := r.Preset("fixture-engine"); !ok || !reflect.DeepEqual(p, fixture.Preset) {
				t.Errorf("Preset(fixture-engine) = %+v, %v; want %+v", p, ok, fixture.Preset)
			}
			if got := r.Tagged("ocr"); !reflect.DeepEqual(got, []string{"fixture-eye"}) {
				t.Errorf("Tagged(ocr) = %q", got)
			}
			if got := r.RequireRune(t, "fixture-helper").Image; got != "docker.io/library/busybox:1.36" {
				t.Errorf("helper image = %q", got)
			}
		})
	}
}

func TestAllowErrorRecordsTheError(t *testing.T) {
	bin := plugintest.BuildBinary(t, "testdata/fixture")
	want := "refusing to assimilate: fail is set"
	cfg := plugintest.WithConfig(map[string]any{"fail": true})
	for name, r := range map[string]*plugintest.Result{
		"in-process": plugintest.Assimilate(t, fixture.Fixture{}, cfg, plugintest.AllowError()),
		"binary":     plugintest.AssimilateBinary(t, bin, cfg, plugintest.AllowError()),
	} {
		if r.Err == nil || r.Err.Error() != want {
			t.Errorf("%s: Err = %v, want %q", name, r.Err, want)
		}
	}
}

// TestBinaryLogsHoldItsPrints: what a binary prints to stderr reaches
// Result.Logs as lychd records it.
func TestBinaryLogsHoldItsPrints(t *testing.T) {
	bin := plugintest.BuildBinary(t, "testdata/fixture")
	r := plugintest.AssimilateBinary(t, bin, plugintest.WithConfig(map[string]any{"print": "hello from the fixture"}))
	want := []string{"stderr: hello from the fixture", "[INFO] assimilating: model=default-model runes=2"}
	if !reflect.DeepEqual(r.Logs, want) {
		t.Errorf("Logs = %q, want %q", r.Logs, want)
	}
}

// fakeTB records failures; Fatalf ends the calling goroutine like the real
// one.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

// run calls fn with a fakeTB in its own goroutine and returns its failures.
func run(fn func(tb testing.TB)) []string {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f.failures
}

func TestCheckReportsEveryViolation(t *testing.T) {
	r := &plugintest.Result{
		Info: sdk.Info{Name: "bad", Version: "1"},
		Runes: []sdk.Rune{
			{Name: "a", Image: "x", Devices: []string{"nvidia0"}},
			{Name: "a", Image: "x"},
		},
		Animators: []sdk.Animator{{Name: "lonely", Capabilities: []string{"TTS"}}},
	}
	got := run(func(tb testing.TB) { plugintest.Check(tb, r) })
	want := []string{
		`plugintest.Check: extension bad: rune "a": devices: device "nvidia0" is not a CDI name of the form vendor/class=name; write a CDI name such as "nvidia.com/gpu=all" (list yours with "nvidia-ctk cdi list" or look in /etc/cdi)`,
		`plugintest.Check: extension bad: registered rune "a" twice; give each rune its own name`,
		`plugintest.Check: extension bad: Animator "lonely" is served by rune "lonely", which this extension did not register; add the rune with AddRune or make the Animator a portal`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Check failures:\n got %q\nwant %q", got, want)
	}
}

type nondeterministic struct{ calls int }

func (*nondeterministic) Info() sdk.Info { return sdk.Info{Name: "flaky", Version: "1"} }
func (n *nondeterministic) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	n.calls++
	return a.AddRune(ctx, sdk.Rune{Name: "flaky", Image: fmt.Sprintf("busybox:%d", n.calls)})
}

func TestAssimilateDetectsNondeterminism(t *testing.T) {
	got := run(func(tb testing.TB) { plugintest.Assimilate(tb, &nondeterministic{}) })
	if len(got) != 1 || !strings.HasPrefix(got[0], "plugintest: flaky registered different runes or Animators when run twice with the same config; lychd caches registrations, so Assimilate must be deterministic") {
		t.Errorf("failures = %q", got)
	}
}

func TestFailuresNameTheCause(t *testing.T) {
	got := run(func(tb testing.TB) {
		plugintest.Assimilate(tb, fixture.Fixture{}, plugintest.WithConfig(map[string]any{"modle": "x"}))
	})
	want := []string{`plugintest: extension fixture: Assimilate: decoding the extension's config table: unknown key "modle" (known keys: "fail", "model", "print"; check its spelling in lychd.toml)`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("failures:\n got %q\nwant %q", got, want)
	}
	got = run(func(tb testing.TB) { plugintest.Assimilate(tb, fixture.Fixture{}).RequireRune(tb, "nope") })
	want = []string{`plugintest: no rune "nope" registered; registered runes: ["fixture-analyzer" "fixture-helper"]`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("failures:\n got %q\nwant %q", got, want)
	}
}

type twice struct{}

func (twice) Info() sdk.Info { return sdk.Info{Name: "twice", Version: "1"} }
func (twice) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	_ = a.AddRune(ctx, sdk.Rune{Name: "x", Image: "busybox"})
	_ = a.AddRune(ctx, sdk.Rune{Name: "x", Image: "busybox"}) // ignored refusal
	return a.AddRune(ctx, sdk.Rune{Name: "y", Image: "busybox"})
}

func TestRefusalsStickAsInLychd(t *testing.T) {
	r := plugintest.Assimilate(t, twice{}, plugintest.AllowError())
	want := `registration refused after an earlier error: registered rune "x" twice; give each rune its own name`
	if r.Err == nil || r.Err.Error() != want {
		t.Errorf("Err:\n got %v\nwant %s", r.Err, want)
	}
}

func TestBinaryRunByHandExplainsItself(t *testing.T) {
	bin := plugintest.BuildBinary(t, "testdata/fixture")
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // no handshake cookie
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("running the binary by hand: %v, want exit status 1", err)
	}
	want := "fixture is a lychd extension (fixture), not a program to run by hand.\n" +
		"Install it with:\n\n\tlychd extension install " + bin + "\n\n" +
		"lychd then launches it itself whenever it assimilates extensions.\n"
	if stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr:\n%s\nwant stderr:\n%s", stdout.String(), stderr.String(), want)
	}
}

// BenchmarkAssimilateBinary measures one launch of an extension binary
// through to a finished assimilation and Kill, as lychd does per extension.
func BenchmarkAssimilateBinary(b *testing.B) {
	bin := plugintest.BuildBinary(b, "testdata/fixture")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		plugintest.AssimilateBinary(b, bin)
	}
}

// BenchmarkAssimilateInProcess is the same through wire.InProcess.
func BenchmarkAssimilateInProcess(b *testing.B) {
	for i := 0; i < b.N; i++ {
		plugintest.Assimilate(b, fixture.Fixture{})
	}
}

// presetExt registers one preset, which the kit checks as lychd does.
type presetExt struct{ p preset.Preset }

func (presetExt) Info() sdk.Info { return sdk.Info{Name: "presets", Version: "1.0.0"} }

func (e presetExt) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	return a.AddPreset(ctx, "my-engine", e.p)
}

func TestPresetsAreChecked(t *testing.T) {
	bad := fixture.Preset
	bad.Exec = []string{"--port", "{prot}"}
	r := plugintest.Assimilate(t, presetExt{p: bad}, plugintest.AllowError())
	want := `preset "my-engine": exec[1]: "{prot}": uses the unknown placeholder {prot}; the placeholders are {model}, {port}, {name} and {model_args} (write {{ and }} for literal braces)`
	if r.Err == nil || r.Err.Error() != want {
		t.Errorf("Err = %v\nwant %s", r.Err, want)
	}
	if len(r.Presets) != 0 {
		t.Errorf("a refused preset was recorded: %+v", r.Presets)
	}
}
