package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lychd/lychd/sdk/preset"
	"github.com/pelletier/go-toml/v2"
)

// goodPreset is a valid preset the refusal cases break one key at a time.
func goodPreset() preset.Preset {
	return preset.Preset{
		Description: "test engine",
		Image:       "docker.io/example/engine:1",
		Exec:        []string{"{model_args}", "--port", "{port}"},
		Model:       &preset.ModelArgs{HuggingFace: []string{"--hf", "{model}"}, Path: []string{"--model", "{model}"}},
		Volumes:     []string{"lychd-models:/models"},
		Environment: map[string]string{"HF_HOME": "/models/hf"},
		Health:      &preset.HealthCheck{Cmd: []string{"curl", "http://127.0.0.1:{port}/health"}, Endpoint: "/health"},
		Metrics:     &preset.Metrics{Path: "/metrics", Prefix: "eng:", IdentityLabel: "model_name", Identity: "{name}"},
	}
}

func errorTexts(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestPresetValidate(t *testing.T) {
	if errs := func() []error { p := goodPreset(); return p.Validate("good") }(); len(errs) != 0 {
		t.Fatalf("good preset refused: %q", errorTexts(errs))
	}
	for _, tc := range []struct {
		name   string
		preset string
		change func(*preset.Preset)
		want   []string
	}{
		{"bad name", "Bad_Name", func(*preset.Preset) {},
			[]string{`preset "Bad_Name": preset name "Bad_Name" does not start with a lower-case letter; use a lower-case letter, then a-z, 0-9 and single "." or "-" (e.g. "llama.cpp" or "vllm-nightly")`}},
		{"double separator", "a..b", func(*preset.Preset) {},
			[]string{`preset "a..b": preset name "a..b" has two separators in a row; use a lower-case letter, then a-z, 0-9 and single "." or "-" (e.g. "llama.cpp" or "vllm-nightly")`}},
		{"no image", "p", func(p *preset.Preset) { p.Image = "" },
			[]string{`preset "p": image: missing; every preset names its image, e.g. image = "docker.io/vllm/vllm-openai:latest"`}},
		{"bad image", "p", func(p *preset.Preset) { p.Image = "-x" },
			[]string{`preset "p": image: image "-x" starts with "-"; Podman would read it as an option, write a reference such as "docker.io/library/alpine:3.20"`}},
		{"no exec", "p", func(p *preset.Preset) { p.Exec = nil },
			[]string{`preset "p": exec: missing; list the entrypoint arguments, e.g. exec = ["{model_args}", "--port", "{port}"]`}},
		{"unknown placeholder", "p", func(p *preset.Preset) { p.Exec = append(p.Exec, "--served-model-name", "{nmae}") },
			[]string{`preset "p": exec[4]: "{nmae}": uses the unknown placeholder {nmae}; the placeholders are {model}, {port}, {name} and {model_args} (write {{ and }} for literal braces)`}},
		{"model_args in a longer argument", "p", func(p *preset.Preset) { p.Exec = []string{"--model={model_args}"} },
			[]string{`preset "p": exec[0]: "--model={model_args}": uses {model_args} inside a longer argument; {model_args} must be a whole exec argument on its own`}},
		{"model_args twice", "p", func(p *preset.Preset) { p.Exec = []string{"{model_args}", "{model_args}"} },
			[]string{`preset "p": exec: uses {model_args} 2 times; place the model once`}},
		{"model table but never used", "p", func(p *preset.Preset) { p.Exec = []string{"--port", "{port}"} },
			[]string{`preset "p": exec: has a [model] table but never uses {model_args} or {model}; add "{model_args}" where the model belongs`}},
		{"model used without a table", "p", func(p *preset.Preset) { p.Model = nil },
			[]string{`preset "p": exec[0]: "{model_args}" uses {model_args}, but the preset has no [model] table; add one saying how a model is passed, or remove the placeholder`}},
		{"empty model table", "p", func(p *preset.Preset) { p.Model = &preset.ModelArgs{} },
			[]string{`preset "p": model: lists no arguments; set huggingface = [...] and/or path = [...], e.g. path = ["--model", "{model}"]`}},
		{"model args lose the model", "p", func(p *preset.Preset) { p.Model.Path = []string{"--model"} },
			[]string{`preset "p": model.path: never uses {model}; the model reference would be lost`}},
		{"model args contain themselves", "p", func(p *preset.Preset) { p.Model.HuggingFace = []string{"{model_args}"} },
			[]string{`preset "p": model.huggingface[0]: uses {model_args}; the model arguments cannot contain themselves, use {model}`, `preset "p": model.huggingface: never uses {model}; the model reference would be lost`}},
		{"bad device", "p", func(p *preset.Preset) { p.Devices = []string{"-nvidia.com/gpu=all"} },
			[]string{`preset "p": devices[0]: device "-nvidia.com/gpu=all" starts with "-"; Quadlet would treat it as an optional device path and drop it, remove the "-"`}},
		{"volume with a specifier", "p", func(p *preset.Preset) { p.Volumes = []string{"%h/models:/models"} },
			[]string{`preset "p": volumes[0]: volume "%h/models:/models" contains "%"; systemd specifiers are not allowed, write the absolute path out`}},
		{"two volumes on one path", "p", func(p *preset.Preset) { p.Volumes = append(p.Volumes, "/srv:/models:ro") },
			[]string{`preset "p": volumes[1]: mounts at /models like volumes[0]; give each volume its own container path`}},
		{"bad env name", "p", func(p *preset.Preset) { p.Environment["1X"] = "a" },
			[]string{`preset "p": environment.1X: environment variable name "1X" does not start with a letter or "_"; use letters, digits and "_", not starting with a digit (e.g. "HF_HOME")`}},
		{"bad env placeholder", "p", func(p *preset.Preset) { p.Environment["X"] = "{mode}" },
			[]string{`preset "p": environment.X: "{mode}": uses the unknown placeholder {mode}; the placeholders are {model}, {port}, {name} and {model_args} (write {{ and }} for literal braces)`}},
		{"bad shm", "p", func(p *preset.Preset) { p.ShmSize = "16gb" },
			[]string{`preset "p": shm_size: shm size "16gb" is not a number with one unit; write a size such as "16g" or "512m" (units b, k, m, g)`}},
		{"bad timeout", "p", func(p *preset.Preset) { p.StartTimeoutSeconds = 90000 },
			[]string{`preset "p": start_timeout_seconds: 90000 is out of range; use 1 to 86400 seconds`}},
		{"health without cmd", "p", func(p *preset.Preset) { p.Health.Cmd = nil },
			[]string{`preset "p": health.cmd: missing; give the command Podman runs inside the container, e.g. cmd = ["curl", "-fsS", "http://127.0.0.1:{port}/health"], or remove the [health] table`}},
		{"health endpoint", "p", func(p *preset.Preset) { p.Health.Endpoint = "health" },
			[]string{`preset "p": health.endpoint: "health" is not an HTTP path; start it with "/", e.g. "/health"`}},
		{"health retries", "p", func(p *preset.Preset) { p.Health.Retries = 1000 },
			[]string{`preset "p": health.retries: 1000 is out of range; use 1 to 100`}},
		{"metrics path", "p", func(p *preset.Preset) { p.Metrics.Path = "/metrics/" },
			[]string{`preset "p": metrics.path: "/metrics/" is not a clean HTTP path; write e.g. "/metrics", or remove the [metrics] table when the engine exports none`}},
		{"metrics prefix", "p", func(p *preset.Preset) { p.Metrics.Prefix = "9x" },
			[]string{`preset "p": metrics.prefix: "9x" is not a metric name prefix; write the start every metric name shares, e.g. "vllm:"`}},
		{"identity without label", "p", func(p *preset.Preset) { p.Metrics.IdentityLabel = "" },
			[]string{`preset "p": metrics.identity: is set without identity_label; name the label that carries it, e.g. identity_label = "model_name"`}},
		{"reserved identity label", "p", func(p *preset.Preset) { p.Metrics.IdentityLabel = "__name__" },
			[]string{`preset "p": metrics.identity_label: "__name__" is not a Prometheus label name; use letters, digits and "_", not starting with a digit or "__"`}},
		{"bad capability", "p", func(p *preset.Preset) { p.Capabilities = []string{"chat completions"} },
			[]string{`preset "p": capabilities[0]: capability "chat completions" contains a space; start with a letter and use letters, digits, "_", "." and "-", at most 64 characters (e.g. "OpenAIChatCompletions")`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := goodPreset()
			tc.change(&p)
			got := errorTexts(p.Validate(tc.preset))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestValidateShmSize(t *testing.T) {
	for in, want := range map[string]int64{"16g": 16 << 30, "512m": 512 << 20, "64k": 64 << 10, "100": 100, "7b": 7} {
		got, err := preset.ShmBytes(in)
		if err != nil || got != want {
			t.Errorf("ShmBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":     `shm size is empty; write a size such as "16g" or "512m" (units b, k, m, g)`,
		"g":    `shm size "g" is not a number with one unit; write a size such as "16g" or "512m" (units b, k, m, g)`,
		"1.5g": `shm size "1.5g" is not a number with one unit; write a size such as "16g" or "512m" (units b, k, m, g)`,
		"0m":   `shm size "0m" is zero; write a size such as "16g" or "512m" (units b, k, m, g), or leave it out`,
		"16G":  `shm size "16G" is not a number with one unit; write a size such as "16g" or "512m" (units b, k, m, g)`,
	} {
		if err := preset.ValidateShmSize(in); err == nil || err.Error() != want {
			t.Errorf("ValidateShmSize(%q) = %v\nwant %s", in, err, want)
		}
	}
}

func TestBuiltin(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reg.Names(), []string{"kokoro", "llama.cpp", "sglang", "vllm"}; !reflect.DeepEqual(got, want) {
		t.Errorf("built-in presets = %q, want %q", got, want)
	}
	for _, name := range reg.Names() {
		p, source, _ := reg.Lookup(name)
		if source != BuiltinSource {
			t.Errorf("%s: source %q", name, source)
		}
		// The Sepulcher standard: every engine is told the port and binds
		// every address of the pod's namespace.
		joined := " " + strings.Join(p.Exec, " ") + " "
		if !strings.Contains(joined, " {port} ") || !strings.Contains(joined, " 0.0.0.0 ") {
			t.Errorf("%s: exec %q does not bind 0.0.0.0:{port}", name, p.Exec)
		}
		if p.Health == nil || !strings.Contains(strings.Join(p.Health.Cmd, " "), "127.0.0.1:{port}") {
			t.Errorf("%s: no health check against 127.0.0.1:{port}", name)
		}
		if p.StartTimeoutSeconds < 600 {
			t.Errorf("%s: start timeout %ds is too short for a model download", name, p.StartTimeoutSeconds)
		}
	}
	// Lookup returns a copy: changing it does not change the registry.
	p, _, _ := reg.Lookup("vllm")
	p.Exec[0], p.Environment["HF_HOME"], p.Model.HuggingFace[0] = "x", "x", "x"
	again, _, _ := reg.Lookup("vllm")
	if again.Exec[0] == "x" || again.Environment["HF_HOME"] == "x" || again.Model.HuggingFace[0] == "x" {
		t.Error("Lookup shares memory with the registry")
	}
}

func TestParsePresetsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"unknown key", "[x]\nimage = \"a:1\"\nexec = [\"a\"]\ngpu = true\n",
			"lychd.toml:4: x.gpu: unknown key; a preset's keys are (description, image, exec, model, devices, volumes, environment, shm_size, start_timeout_seconds, health, metrics, capabilities)"},
		{"unknown nested key", "[x]\nimage = \"a:1\"\nexec = [\"a\"]\n[x.health]\ncommand = [\"curl\"]\n",
			"lychd.toml:5: x.health.command: unknown key; a preset's keys are (description, image, exec, model, devices, volumes, environment, shm_size, start_timeout_seconds, health, metrics, capabilities)"},
		{"wrong type", "[x]\nimage = 3\n",
			"lychd.toml:2: toml: cannot decode TOML integer into struct field preset.Preset.Image of type string"},
		{"invalid preset", "[x]\nimage = \"a:1\"\nexec = [\"{port\"]\n",
			`lychd.toml: preset "x": exec[0]: "{port": has a "{" that is never closed; write {{ for a literal "{"`},
		{"two invalid presets", "[b]\nimage = \"\"\nexec = [\"a\"]\n[a]\nimage = \"a:1\"\n",
			"lychd.toml: preset \"a\": exec: missing; list the entrypoint arguments, e.g. exec = [\"{model_args}\", \"--port\", \"{port}\"]\nlychd.toml: preset \"b\": image: missing; every preset names its image, e.g. image = \"docker.io/vllm/vllm-openai:latest\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePresets("lychd.toml", []byte(tc.doc))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v\nwant    %s", err, tc.want)
			}
		})
	}
}

// TestCodexPresetTable decodes a [presets.NAME] table of lychd.toml strictly
// into the same type the built-in presets use, and registers it.
func TestCodexPresetTable(t *testing.T) {
	doc := `
[presets.vllm-nightly]
description = "vLLM nightly"
image = "docker.io/vllm/vllm-openai:nightly"
exec = ["{model_args}", "--host", "0.0.0.0", "--port", "{port}", "--served-model-name", "{name}"]
devices = ["nvidia.com/gpu=all"]
shm_size = "16g"
start_timeout_seconds = 1800

[presets.vllm-nightly.model]
huggingface = ["{model}"]

[presets.vllm-nightly.health]
cmd = ["curl", "-fsS", "http://127.0.0.1:{port}/health"]
`
	var codex struct {
		Presets map[string]preset.Preset `toml:"presets"`
	}
	if err := toml.NewDecoder(strings.NewReader(doc)).DisallowUnknownFields().Decode(&codex); err != nil {
		t.Fatal(err)
	}
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Add("vllm-nightly", codex.Presets["vllm-nightly"], "lychd.toml:2"); err != nil {
		t.Fatal(err)
	}
	res, err := reg.Resolve(Soulstone{Name: "qwen", Engine: "vllm-nightly", Model: "Qwen/Qwen2.5-7B-Instruct"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Qwen/Qwen2.5-7B-Instruct", "--host", "0.0.0.0", "--port", "8081", "--served-model-name", "qwen"}; !reflect.DeepEqual(res.Exec, want) {
		t.Errorf("exec = %q, want %q", res.Exec, want)
	}
	if res.Filled[1].From != "preset vllm-nightly (lychd.toml:2)" {
		t.Errorf("origin = %q", res.Filled[1].From)
	}
	// A path is refused: the preset lists no path arguments.
	_, err = reg.Resolve(Soulstone{Name: "qwen", Engine: "vllm-nightly", Model: "/models/qwen"})
	if want := `qwen.model: "/models/qwen" is a path, but engine "vllm-nightly" loads models only by Hugging Face id; a Hugging Face id such as "Qwen/Qwen2.5-7B-Instruct"`; err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	// Names never collide silently.
	err = reg.Add("vllm", codex.Presets["vllm-nightly"], "lychd.toml:2")
	if want := `preset "vllm": already defined (built in); choose another name, e.g. "vllm-custom", or override single keys in the soulstone`; err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	// And an invalid preset is refused with every problem.
	bad := codex.Presets["vllm-nightly"]
	bad.Image, bad.ShmSize = "", "lots"
	err = reg.Add("broken", bad, "lychd.toml:9")
	var pe *preset.PresetError
	if !errors.As(err, &pe) || strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("error = %v, want two *PresetError", err)
	}
}

// TestPresetJSON checks the JSON form an extension registers round-trips.
func TestPresetJSON(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range reg.Names() {
		p, _, _ := reg.Lookup(name)
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back preset.Preset
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(back, p) {
			t.Errorf("%s: JSON round trip changed the preset:\n%s", name, data)
		}
	}
}

func TestLargestShmSize(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"", ""}, ""},
		{[]string{"16g", "", "32g", "1024m"}, "32g"},
		{[]string{"2048m", "1g"}, "2048m"},
	} {
		got, err := preset.LargestShmSize(tc.in...)
		if err != nil || got != tc.want {
			t.Errorf("LargestShmSize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := preset.LargestShmSize("1g", "x"); err == nil {
		t.Error("LargestShmSize accepted \"x\"")
	}
}
