package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/wire"
)

// funcExt is an extension made of functions.
type funcExt struct {
	info       func() sdk.Info
	assimilate func(ctx context.Context, a sdk.Assimilation) error
}

func (f funcExt) Info() sdk.Info {
	if f.info == nil {
		return sdk.Info{Name: "fixture", Version: "1.0.0", Description: "test fixture"}
	}
	return f.info()
}

func (f funcExt) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	return f.assimilate(ctx, a)
}

// recordingSink records what reaches the host, checking each registration
// as lychd does, and can reject runes by name.
type recordingSink struct {
	mu        sync.Mutex
	runes     []sdk.Rune
	animators []sdk.Animator
	presets   []sdk.NamedPreset
	reject    string
}

func (s *recordingSink) AddRune(_ context.Context, r sdk.Rune) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := sdk.ValidateRune(r); err != nil {
		return err
	}
	if r.Name == s.reject {
		return fmt.Errorf("rune %q: the name is taken by the Codex (soulstones/x.toml:3)", r.Name)
	}
	s.runes = append(s.runes, r)
	return nil
}

func (s *recordingSink) AddPreset(_ context.Context, name string, p preset.Preset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errs := p.Validate(name); len(errs) > 0 {
		return errs[0]
	}
	s.presets = append(s.presets, sdk.NamedPreset{Name: name, Preset: p})
	return nil
}

func (s *recordingSink) RegisterAnimator(_ context.Context, a sdk.Animator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.animators = append(s.animators, a)
	return nil
}

// paths names the ways a host reaches an extension: compiled in, and over
// gRPC with the registrations on the Assimilation call.
var paths = []string{"in-process", "grpc"}

// client returns a wire.Client for ext over the named path. The gRPC path
// serves ext with sdk.Serve's configuration in go-plugin's test mode and
// connects with wire's host-side plugin set, through the real protocol.
func client(t *testing.T, path string, ext sdk.Extension, logs *bytes.Buffer) wire.Client {
	t.Helper()
	if path == "in-process" {
		return wire.InProcess(ext, wire.WithLogger(hclog.New(&hclog.LoggerOptions{Output: logs, DisableTime: true})))
	}
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go sdk.ServeForTest(ext, logs, &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed})
	cfg := wire.ClientConfig(nil, hclog.NewNullLogger())
	cfg.Cmd = nil
	cfg.Reattach = <-reattach
	pc := plugin.NewClient(cfg)
	t.Cleanup(func() {
		pc.Kill()
		cancel()
		<-closed
	})
	c, err := wire.Dispense(pc)
	if err != nil {
		t.Fatalf("Dispense: %v", err)
	}
	return c
}

// fullRune sets every field of sdk.Rune.
var fullRune = sdk.Rune{
	Name:        "analyzer",
	Kind:        sdk.Soulstone,
	Description: "Vision analyzer",
	Image:       "ghcr.io/example/analyzer:1.2",
	Groups:      []string{"vision", "ocr"},
	After:       []string{"lychd-soulstone-pre.service"},
	Wants:       []string{"lychd-soulstone-cache.service"},
	Requires:    []string{"lychd-soulstone-pre.service"},
	Port:        8081,
	ExposePort:  true,
	HostPort:    18081,
	Devices:     []string{"nvidia.com/gpu=all"},
	Volumes:     []string{"lychd-models:/models:ro,Z"},
	Environment: map[string]string{"MODEL": "qwen", "A_FIRST": "1"},
	Exec:        []string{"--port", "8081", "two words"},
	Secrets:     []string{"hf-token,type=env,target=HF_TOKEN", "ca"},

	StartTimeout: 900 * time.Second,
	HealthCmd:    []string{"curl", "-fsS", "http://127.0.0.1:8081/health"},
	ShmSize:      "16g",
	Memory:       "24g",
	HostUser:     true,
}

// oneShotRune is a one-shot as an extension registers one: every kind
// crosses the protocol.
var oneShotRune = sdk.Rune{Name: "prepare", Kind: sdk.OneShot, Image: "busybox", Exec: []string{"true"},
	HostUser: true, Volumes: []string{"/srv/data:/data:rw,Z"}}

// fullAnimator sets every field of sdk.Animator but URL and Secrets, which
// a soulstone Animator cannot have; fullPortal covers them.
var (
	fullAnimator = sdk.Animator{Name: "eye", Kind: sdk.AnimatorSoulstone, Rune: "analyzer",
		Capabilities: []string{"OpenAIChatCompletions"}, Tags: []string{"vision", "ocr"}}
	fullPortal = sdk.Animator{Name: "remote", Kind: sdk.AnimatorPortal, URL: "https://api.example.com/v1",
		Capabilities: []string{"OpenAIChatCompletions", "OpenAIEmbeddings"}, Tags: []string{"reasoning"}, Secrets: []string{"remote-key"}}
)

// fullPreset sets every field of preset.Preset and of its tables.
var fullPreset = preset.Preset{
	Description: "vLLM for AMD GPUs",
	Image:       "docker.io/rocm/vllm:latest",
	Exec:        []string{"{model_args}", "--host", "0.0.0.0", "--port", "{port}", "--served-model-name", "{name}"},
	Model:       &preset.ModelArgs{HuggingFace: []string{"{model}"}, Path: []string{"{model}"}, QuantSuffix: true},
	Devices:     []string{"/dev/kfd", "/dev/dri"},
	Volumes:     []string{"lychd-cache:/cache"},
	Environment: map[string]string{"HF_HOME": "/cache/huggingface"},
	ShmSize:     "16g",

	StartTimeoutSeconds: 1800,
	Health: &preset.HealthCheck{Cmd: []string{"curl", "-fsS", "http://127.0.0.1:{port}/health"}, Endpoint: "/health",
		IntervalSeconds: 5, TimeoutSeconds: 2, Retries: 4},
	Metrics:      &preset.Metrics{Path: "/metrics", Prefix: "vllm:", IdentityLabel: "model_name", Identity: "{name}"},
	Capabilities: []string{"OpenAIChatCompletions"},
}

func registerAll(ctx context.Context, a sdk.Assimilation) error {
	if err := a.AddPreset(ctx, "vllm-rocm", fullPreset); err != nil {
		return err
	}
	if err := a.AddRune(ctx, fullRune); err != nil {
		return err
	}
	if err := a.AddRune(ctx, sdk.Rune{Name: "pre", Image: "busybox", Kind: sdk.AlwaysOn}); err != nil {
		return err
	}
	if err := a.AddRune(ctx, oneShotRune); err != nil {
		return err
	}
	if err := a.RegisterAnimator(ctx, fullAnimator); err != nil {
		return err
	}
	return a.RegisterAnimator(ctx, fullPortal)
}

// TestFixturesSetEveryField guards the conversions: a field added to
// sdk.Rune or sdk.Animator must be set in the fixtures, and then the
// round-trip test below fails until the proto and both conversions carry it.
func TestFixturesSetEveryField(t *testing.T) {
	for _, v := range []any{fullRune, fullAnimator, fullPortal, fullPreset, *fullPreset.Model, *fullPreset.Health, *fullPreset.Metrics} {
		rv := reflect.ValueOf(v)
		for i := 0; i < rv.NumField(); i++ {
			name := rv.Type().Field(i).Name
			if rv.Field(i).IsZero() && !(name == "Kind") && !((name == "URL" || name == "Secrets") && v.(sdk.Animator).Kind == sdk.AnimatorSoulstone) &&
				!(name == "Rune" && v.(sdk.Animator).Kind == sdk.AnimatorPortal) {
				t.Errorf("%T fixture leaves %s unset", v, name)
			}
		}
	}
}

func TestRoundTripEveryField(t *testing.T) {
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			c := client(t, path, funcExt{assimilate: registerAll}, &bytes.Buffer{})
			sink := &recordingSink{}
			if err := c.Assimilate(context.Background(), nil, sink); err != nil {
				t.Fatalf("Assimilate: %v", err)
			}
			wantRunes := []sdk.Rune{fullRune, {Name: "pre", Image: "busybox", Kind: sdk.AlwaysOn}, oneShotRune}
			if !reflect.DeepEqual(sink.runes, wantRunes) {
				t.Errorf("runes:\n got %#v\nwant %#v", sink.runes, wantRunes)
			}
			wantAnimators := []sdk.Animator{fullAnimator, fullPortal}
			if !reflect.DeepEqual(sink.animators, wantAnimators) {
				t.Errorf("animators:\n got %#v\nwant %#v", sink.animators, wantAnimators)
			}
			wantPresets := []sdk.NamedPreset{{Name: "vllm-rocm", Preset: fullPreset}}
			if !reflect.DeepEqual(sink.presets, wantPresets) {
				t.Errorf("presets:\n got %#v\nwant %#v", sink.presets, wantPresets)
			}
			info, err := c.Info(context.Background())
			if err != nil {
				t.Fatalf("Info: %v", err)
			}
			if want := (sdk.Info{Name: "fixture", Version: "1.0.0", Description: "test fixture"}); info != want {
				t.Errorf("Info = %#v, want %#v", info, want)
			}
		})
	}
}

// TestErrorsAreTheSameOnBothPaths runs misbehaving extensions through both
// paths and expects the exact same error text.
func TestErrorsAreTheSameOnBothPaths(t *testing.T) {
	type modelConfig struct {
		Model string `json:"model"`
		Port  int    `json:"port"`
	}
	cases := []struct {
		name   string
		config string
		reject string
		fn     func(ctx context.Context, a sdk.Assimilation) error
		want   string
	}{{
		name: "extension error",
		fn:   func(context.Context, sdk.Assimilation) error { return errors.New("no GPU found") },
		want: "no GPU found",
	}, {
		name: "invalid rune returned",
		fn: func(ctx context.Context, a sdk.Assimilation) error {
			return a.AddRune(ctx, sdk.Rune{Name: "x"})
		},
		want: `rune "x": image is empty; write a reference such as "docker.io/library/alpine:3.20"`,
	}, {
		name: "invalid rune ignored",
		fn: func(ctx context.Context, a sdk.Assimilation) error {
			_ = a.AddRune(ctx, sdk.Rune{Name: "x", Image: "busybox", Kind: 7})
			return nil
		},
		want: `the extension returned success but a registration was refused: rune "x": unknown kind 7; use sdk.Soulstone, sdk.AlwaysOn or sdk.OneShot`,
	}, {
		name:   "host rejects rune",
		reject: "taken",
		fn: func(ctx context.Context, a sdk.Assimilation) error {
			if err := a.AddRune(ctx, sdk.Rune{Name: "taken", Image: "busybox"}); err != nil {
				return fmt.Errorf("adding the taken rune: %w", err)
			}
			return nil
		},
		want: `adding the taken rune: rune "taken": the name is taken by the Codex (soulstones/x.toml:3)`,
	}, {
		name:   "unknown config key",
		config: `{"modle":"qwen"}`,
		fn: func(_ context.Context, a sdk.Assimilation) error {
			var c modelConfig
			return a.Config(&c)
		},
		want: `decoding the extension's config table: unknown key "modle" (known keys: "model", "port"; check its spelling in lychd.toml)`,
	}, {
		name:   "config type mismatch",
		config: `{"port":"eighty"}`,
		fn: func(_ context.Context, a sdk.Assimilation) error {
			var c modelConfig
			return a.Config(&c)
		},
		want: `decoding the extension's config table: key "port": got string, the extension expects int`,
	}, {
		name: "config into a non-pointer",
		fn: func(_ context.Context, a sdk.Assimilation) error {
			return a.Config(modelConfig{})
		},
		want: `the config table can only be decoded into a non-nil pointer, got sdk_test.modelConfig`,
	}}
	for _, tc := range cases {
		for _, path := range paths {
			t.Run(tc.name+"/"+path, func(t *testing.T) {
				c := client(t, path, funcExt{assimilate: tc.fn}, &bytes.Buffer{})
				err := c.Assimilate(context.Background(), []byte(tc.config), &recordingSink{reject: tc.reject})
				if err == nil || err.Error() != tc.want {
					t.Fatalf("Assimilate error:\n got %v\nwant %s", err, tc.want)
				}
			})
		}
	}
}

func TestConfigDecodes(t *testing.T) {
	type cfg struct {
		Model string   `json:"model"`
		Tags  []string `json:"tags"`
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			for _, tc := range []struct{ raw, want string }{
				{``, "default []"},
				{`null`, "default []"},
				{`{"model":"qwen","tags":["a"]}`, "qwen [a]"},
			} {
				var got string
				c := client(t, path, funcExt{assimilate: func(_ context.Context, a sdk.Assimilation) error {
					v := cfg{Model: "default"}
					err := a.Config(&v)
					got = fmt.Sprintf("%s %v", v.Model, v.Tags)
					return err
				}}, &bytes.Buffer{})
				if err := c.Assimilate(context.Background(), []byte(tc.raw), &recordingSink{}); err != nil {
					t.Fatalf("config %q: %v", tc.raw, err)
				}
				if path == "in-process" && got != tc.want {
					t.Errorf("config %q decoded to %q, want %q", tc.raw, got, tc.want)
				}
			}
		})
	}
}

func TestPanicsBecomeErrors(t *testing.T) {
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			c := client(t, path, funcExt{assimilate: func(context.Context, sdk.Assimilation) error {
				var m map[string]int
				//lint:ignore SA5000 the panic is what this test is about
				m["boom"] = 1
				return nil
			}}, &bytes.Buffer{})
			err := c.Assimilate(context.Background(), nil, &recordingSink{})
			if err == nil {
				t.Fatal("Assimilate succeeded, want the panic as an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if want := "extension panicked in Assimilate: assignment to entry in nil map"; lines[0] != want {
				t.Errorf("first line = %q, want %q", lines[0], want)
			}
			if len(lines) < 2 || !strings.HasPrefix(lines[1], "\tgithub.com/lychd/lychd/sdk_test.TestPanicsBecomeErrors.") || !strings.Contains(lines[1], "serve_test.go:") {
				t.Errorf("second line = %q, want the panicking frame in serve_test.go", lines[1])
			}
			if len(lines) > 1+8 {
				t.Errorf("%d frames reported, want at most 8", len(lines)-1)
			}

			info := client(t, path, funcExt{info: func() sdk.Info { panic("no info") }}, &bytes.Buffer{})
			_, err = info.Info(context.Background())
			if err == nil || !strings.HasPrefix(err.Error(), "extension panicked in Info: no info\n\t") {
				t.Errorf("Info error = %v, want the panic", err)
			}
		})
	}
}

func TestLogsReachTheHost(t *testing.T) {
	var logs bytes.Buffer
	c := client(t, "grpc", funcExt{assimilate: func(_ context.Context, a sdk.Assimilation) error {
		a.Logger().Info("loading model", "model", "qwen")
		return nil
	}}, &logs)
	if err := c.Assimilate(context.Background(), nil, &recordingSink{}); err != nil {
		t.Fatal(err)
	}
	// In a real process these JSON lines go to stderr, where go-plugin
	// parses and relays them.
	if !strings.Contains(logs.String(), `"@message":"loading model"`) || !strings.Contains(logs.String(), `"model":"qwen"`) || !strings.Contains(logs.String(), `"@module":"fixture"`) {
		t.Errorf("logs are not JSON hclog lines naming the extension:\n%s", logs.String())
	}
}

func TestRunByHand(t *testing.T) {
	var stderr bytes.Buffer
	code := sdk.ServeWithEnv(funcExt{info: func() sdk.Info { return sdk.Info{Name: "vision-organ", Version: "1"} }},
		func(string) string { return "" }, &stderr, "/opt/ext/vision-organ")
	if code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	want := "vision-organ is a lychd extension (vision-organ), not a program to run by hand.\n" +
		"Install it with:\n\n\tlychd extension install /opt/ext/vision-organ\n\n" +
		"lychd then launches it itself whenever it assimilates extensions.\n"
	if stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}
}

func TestProtocolMismatchIsExplained(t *testing.T) {
	// The exact text go-plugin v1.8 returns from Client() on a mismatch.
	raw := errors.New("incompatible API version with plugin. Plugin version: 3, Client versions: [1 2]")
	err := wire.ExplainStartError(raw)
	var pe *wire.ProtocolError
	if !errors.As(err, &pe) || pe.Extension != 3 || !reflect.DeepEqual(pe.Host, []int{1, 2}) {
		t.Fatalf("ExplainStartError = %#v, want a ProtocolError{3, [1 2]}", err)
	}
	want := "the extension speaks lychd extension protocol 3 but this lychd speaks protocol 1, 2; upgrade lychd, or install a build of the extension made for an older lychd"
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
	older := &wire.ProtocolError{Extension: 0, Host: []int{1}}
	if want := "the extension speaks lychd extension protocol 0 but this lychd speaks protocol 1; rebuild the extension with a newer lychd SDK"; older.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", older, want)
	}
	if other := errors.New("fork/exec: permission denied"); wire.ExplainStartError(other) != other {
		t.Error("ExplainStartError changed an unrelated error")
	}
}

func TestDeadlineReachesTheExtension(t *testing.T) {
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			c := client(t, path, funcExt{assimilate: func(ctx context.Context, _ sdk.Assimilation) error {
				<-ctx.Done()
				return ctx.Err()
			}}, &bytes.Buffer{})
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			err := c.Assimilate(ctx, nil, &recordingSink{})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Assimilate error = %v, want one wrapping context.DeadlineExceeded", err)
			}
		})
	}
}

func TestConfigSizeLimit(t *testing.T) {
	big := []byte(`{"k":"` + strings.Repeat("x", wire.MaxConfigBytes) + `"}`)
	want := fmt.Sprintf("the extension's config table is %d bytes as JSON; the limit is %d", len(big), wire.MaxConfigBytes)
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			called := false
			c := client(t, path, funcExt{assimilate: func(context.Context, sdk.Assimilation) error { called = true; return nil }}, &bytes.Buffer{})
			err := c.Assimilate(context.Background(), big, &recordingSink{})
			if err == nil || err.Error() != want {
				t.Errorf("error:\n got %v\nwant %s", err, want)
			}
			if called {
				t.Error("the extension was called with an oversized config")
			}
		})
	}
}

// TestOversizedRegistrationsFail sends runes too large for one
// registration: both paths refuse them, also when the extension ignores the
// error, and nothing reaches the Sink.
func TestOversizedRegistrationsFail(t *testing.T) {
	for _, size := range []int{wire.MaxRegistrationBytes + 1, wire.MaxMessageBytes} {
		huge := sdk.Rune{Name: "huge", Image: "busybox", Exec: []string{strings.Repeat("x", size)}}
		for _, ignore := range []bool{false, true} {
			for _, path := range paths {
				t.Run(fmt.Sprintf("%d/ignore=%v/%s", size, ignore, path), func(t *testing.T) {
					c := client(t, path, funcExt{assimilate: func(ctx context.Context, a sdk.Assimilation) error {
						err := a.AddRune(ctx, huge)
						if ignore {
							return nil
						}
						return err
					}}, &bytes.Buffer{})
					sink := &recordingSink{}
					err := c.Assimilate(context.Background(), nil, sink)
					if err == nil {
						t.Fatal("Assimilate succeeded")
					}
					text := fmt.Sprintf("rune \"huge\" carries %d bytes of text; one registration may carry at most %d", size+len("huge")+len("busybox"), wire.MaxRegistrationBytes)
					if path != "in-process" && size >= wire.MaxMessageBytes {
						// Too large for the wire: the extension's send fails.
						text = "calling lychd: rpc error: code = ResourceExhausted"
					}
					if !strings.Contains(err.Error(), text) {
						t.Errorf("error = %.300s, want it to contain %q", err, text)
					}
					if ignore && !strings.HasPrefix(err.Error(), "the extension returned success but a registration was refused: ") {
						t.Errorf("error = %.300s, want the ignored refusal", err)
					}
					if len(sink.runes) != 0 {
						t.Error("the oversized rune reached the Sink")
					}
				})
			}
		}
	}
}

func TestNilSink(t *testing.T) {
	for _, path := range paths {
		c := client(t, path, funcExt{assimilate: registerAll}, &bytes.Buffer{})
		if err := c.Assimilate(context.Background(), nil, nil); err == nil || err.Error() != "wire: Assimilate needs a non-nil Sink" {
			t.Errorf("%s: error = %v", path, err)
		}
	}
}

// TestRepeatedAssimilationsLeakNothing runs many assimilations over one
// connection: the per-call stream, or callback server, must go away each
// time.
func TestRepeatedAssimilationsLeakNothing(t *testing.T) {
	for _, path := range paths[1:] {
		t.Run(path, func(t *testing.T) { repeatedAssimilationsLeakNothing(t, path) })
	}
}

func repeatedAssimilationsLeakNothing(t *testing.T, path string) {
	c := client(t, path, funcExt{assimilate: registerAll}, &bytes.Buffer{})
	run := func() {
		if err := c.Assimilate(context.Background(), nil, &recordingSink{}); err != nil {
			t.Fatal(err)
		}
	}
	run()
	before := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		run()
	}
	var after int
	for wait := 0; wait < 100; wait++ {
		if after = runtime.NumGoroutine(); after <= before+5 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("goroutines grew from %d to %d over 50 assimilations", before, after)
}

// TestConfigErrorsReachTheHost: a *sdk.ConfigError the extension returns,
// wrapped or not, reaches lychd as one on both paths (a gRPC status detail
// carries it), so that lychd can point at the key in lychd.toml.
func TestConfigErrorsReachTheHost(t *testing.T) {
	type config struct {
		Model string `json:"model"`
	}
	ext := funcExt{assimilate: func(_ context.Context, a sdk.Assimilation) error {
		var c config
		if err := a.Config(&c); err != nil {
			return fmt.Errorf("reading my config: %w", err)
		}
		return nil
	}}
	for _, path := range paths {
		c := client(t, path, ext, &bytes.Buffer{})
		err := c.Assimilate(context.Background(), []byte(`{"modle": "x"}`), &recordingSink{})
		want := `reading my config: decoding the extension's config table: unknown key "modle" (known keys: "model"; check its spelling in lychd.toml)`
		if err == nil || err.Error() != want {
			t.Errorf("%s: error:\n got %v\nwant %s", path, err, want)
		}
		var ce *sdk.ConfigError
		if !errors.As(err, &ce) || ce.Key != "modle" || !ce.Unknown || !reflect.DeepEqual(ce.Known, []string{"model"}) {
			t.Errorf("%s: %#v is not the ConfigError of key modle", path, err)
		}
	}
}
