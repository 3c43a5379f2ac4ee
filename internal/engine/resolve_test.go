package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/preset"
)

func builtin(t *testing.T) *Registry {
	t.Helper()
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// goldenCases resolve every built-in preset with each kind of model it
// takes, and one soulstone that overrides every key.
var goldenCases = []struct {
	file string
	s    Soulstone
}{
	{"vllm-huggingface", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct"}},
	{"vllm-path", Soulstone{Name: "qwen", Engine: "vllm", Model: "/data/qwen", Volumes: []string{"/srv/models/qwen:/data/qwen:ro,Z"}}},
	{"llama.cpp-huggingface", Soulstone{Name: "tiny", Engine: "llama.cpp", Model: "ggml-org/gemma-3-1b-it-GGUF:Q4_K_M"}},
	{"llama.cpp-path", Soulstone{Name: "tiny", Engine: "llama.cpp", Model: "/models/gemma-3-1b-it-Q4_K_M.gguf", Volumes: []string{"/srv/models:/models:ro,Z"}}},
	{"sglang-huggingface", Soulstone{Name: "big", Engine: "sglang", Model: "Qwen/Qwen2.5-7B-Instruct"}},
	{"sglang-path", Soulstone{Name: "big", Engine: "sglang", Model: "/cache/huggingface/hub/qwen"}},
	{"kokoro", Soulstone{Name: "voice", Engine: "kokoro"}},
	{"vllm-overrides", Soulstone{
		Name: "coder", Engine: "vllm", Model: "/models/coder",
		Image:        "docker.io/vllm/vllm-openai:v0.11.0",
		ExtraArgs:    []string{"--max-model-len", "8192", "--chat-template-kwargs", `{{"enable_thinking": false}}`},
		Port:         8082,
		Devices:      []string{"nvidia.com/gpu=0"},
		Volumes:      []string{"/srv/models:/models:ro,Z", "/srv/cache:/cache"},
		Environment:  []model.EnvVar{{Name: "HF_HOME", Value: "/models/hf"}, {Name: "HF_TOKEN", Value: "secret {not a placeholder}"}},
		ShmSize:      "8g",
		StartTimeout: 3600 * time.Second,
		Capabilities: []string{"OpenAIChatCompletions", "OpenAICompletions"},
	}},
	{"vllm-own-exec", Soulstone{
		Name: "raw", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct",
		Exec:      []string{"{model_args}", "--port", "{port}", "--host", "0.0.0.0"},
		HealthCmd: []string{},
		Devices:   []string{},
	}},
}

func render(t *testing.T, s Soulstone, r Resolved) []byte {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "# soulstone %s, engine %s, model %q\n\n## lychd bind --dry-run\n%s\n## Resolved\n", s.Name, s.Engine, s.Model, r.Explain())
	r.Filled = nil
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	if r.Health != nil {
		fmt.Fprintf(&b, "\n## HealthCmd=\n%s\n", r.Health.CmdJSON())
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	reg := builtin(t)
	covered := map[string]bool{}
	for _, tc := range goldenCases {
		t.Run(tc.file, func(t *testing.T) {
			res, err := reg.Resolve(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			covered[tc.s.Engine] = true
			got := render(t, tc.s, res)
			golden.Check(t, filepath.Join("testdata", "golden", tc.file+".txt"), got)
		})
	}
	for _, name := range reg.Names() {
		if !covered[name] {
			t.Errorf("preset %s has no golden file: add it to goldenCases", name)
		}
	}
}

func TestResolveOverrides(t *testing.T) {
	reg := builtin(t)
	res, err := reg.Resolve(goldenCases[7].s) // vllm-overrides
	if err != nil {
		t.Fatal(err)
	}
	wantExec := []string{"/models/coder", "--host", "0.0.0.0", "--port", "8082", "--served-model-name", "coder",
		"--max-model-len", "8192", "--chat-template-kwargs", `{"enable_thinking": false}`}
	if !reflect.DeepEqual(res.Exec, wantExec) {
		t.Errorf("exec = %q\nwant %q", res.Exec, wantExec)
	}
	// The soulstone's /cache replaces the preset's named volume in place;
	// its /models is added.
	if want := []string{"/srv/cache:/cache", "/srv/models:/models:ro,Z"}; !reflect.DeepEqual(res.Volumes, want) {
		t.Errorf("volumes = %q, want %q", res.Volumes, want)
	}
	env := map[string]string{}
	for _, e := range res.Environment {
		env[e.Name] = e.Value
	}
	if env["HF_HOME"] != "/models/hf" || env["HF_TOKEN"] != "secret {not a placeholder}" || env["XDG_CACHE_HOME"] != "/cache" {
		t.Errorf("environment = %v", env)
	}
	if res.Health.Cmd[len(res.Health.Cmd)-1] != "http://127.0.0.1:8082/health" || res.Health.StartPeriod != time.Hour {
		t.Errorf("health = %+v", res.Health)
	}
	if res.Metrics.Port != 8082 || res.Metrics.Identity != "coder" {
		t.Errorf("metrics = %+v", res.Metrics)
	}

	// An exec that no longer sets the served name loses the identity; an
	// empty health command removes the check; empty devices remove GPUs.
	raw, err := reg.Resolve(goldenCases[8].s)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Metrics.IdentityLabel != "" || raw.Health != nil || raw.Devices == nil || len(raw.Devices) != 0 {
		t.Errorf("own exec: metrics %+v, health %+v, devices %#v", raw.Metrics, raw.Health, raw.Devices)
	}
}

func TestResolveErrors(t *testing.T) {
	reg := builtin(t)
	for _, tc := range []struct {
		name string
		s    Soulstone
		want string
	}{
		{"unknown engine", Soulstone{Name: "qwen", Engine: "vlm"},
			`qwen.engine: engine "vlm" is not a known preset; use one of "kokoro", "llama.cpp", "sglang", "vllm", or define it under [presets.vlm] in lychd.toml`},
		{"unknown engine with a dot", Soulstone{Name: "qwen", Engine: "llama.cp"},
			`qwen.engine: engine "llama.cp" is not a known preset; use one of "kokoro", "llama.cpp", "sglang", "vllm", or define it under [presets."llama.cp"] in lychd.toml`},
		{"missing model", Soulstone{Name: "qwen", Engine: "vllm"},
			`qwen.model: missing; engine "vllm" needs a model: a Hugging Face id such as "Qwen/Qwen2.5-7B-Instruct" or an absolute path inside one of its volumes such as "/models/my-model"`},
		{"missing model, llama.cpp", Soulstone{Name: "tiny", Engine: "llama.cpp"},
			`tiny.model: missing; engine "llama.cpp" needs a model: a Hugging Face id such as "ggml-org/gemma-3-1b-it-GGUF:Q4_K_M" or an absolute path inside one of its volumes such as "/models/my-model"`},
		{"model for an engine without one", Soulstone{Name: "voice", Engine: "kokoro", Model: "hexgrad/Kokoro-82M"},
			`voice.model: engine "kokoro" takes no model (its model is part of the image); remove the key`},
		{"tag on a vLLM model", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct:Q4"},
			`qwen.model: model "Qwen/Qwen2.5-7B-Instruct:Q4" has a ":" tag, which this engine does not take; write "owner/name" as on huggingface.co, e.g. "Qwen/Qwen2.5-7B-Instruct", or an absolute path`},
		{"relative path", Soulstone{Name: "qwen", Engine: "vllm", Model: "models/qwen/weights"},
			`qwen.model: model "models/qwen/weights" is neither a Hugging Face id nor an absolute path; write "owner/name" as on huggingface.co, e.g. "Qwen/Qwen2.5-7B-Instruct", or an absolute path`},
		{"a file named like a repository", Soulstone{Name: "tiny", Engine: "llama.cpp", Model: "models/gemma.gguf"},
			`tiny.model: model "models/gemma.gguf" names a file, not a repository; write the file's absolute path inside a volume, e.g. "/models/gemma.gguf"`},
		{"bad repository name", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen--7B"},
			`qwen.model: model "Qwen/Qwen--7B" is not a valid Hugging Face id ("Qwen--7B": use letters, digits, "-", "_" and ".", at most 96, no "--" or ".."); write "owner/name" as on huggingface.co, e.g. "Qwen/Qwen2.5-7B-Instruct", or an absolute path`},
		{"path outside the volumes", Soulstone{Name: "qwen", Engine: "vllm", Model: "/srv/models/qwen"},
			`qwen.model: model path "/srv/models/qwen" is not inside any volume of the soulstone (its volumes are mounted at /cache); mount the directory that holds the model, e.g. volumes = ["/srv/models:/models:ro,Z"], and name the model by its path in the container, e.g. "/models/qwen"`},
		{"path outside, no volumes", Soulstone{Name: "voice", Engine: "kokoro", Exec: []string{"--model", "{model}"}, Model: "/srv/x"},
			`voice.exec[1]: "{model}" uses {model}, but the preset has no [model] table; add one saying how a model is passed, or remove the placeholder` + "\n" + `voice.model: engine "kokoro" takes no model (its model is part of the image); remove the key`},
		{"path that is a prefix but not a directory", Soulstone{Name: "qwen", Engine: "vllm", Model: "/models/qwen", Volumes: []string{"/srv/m:/model"}},
			`qwen.model: model path "/models/qwen" is not inside any volume of the soulstone (its volumes are mounted at /cache, /model); mount the directory that holds the model, e.g. volumes = ["/srv/models:/models:ro,Z"], and name the model by its path in the container, e.g. "/models/qwen"`},
		{"unclean path", Soulstone{Name: "qwen", Engine: "vllm", Model: "/models/../etc"},
			`qwen.model: model path "/models/../etc" is not a clean absolute path; write it without "..", ".", "//" or a trailing "/", e.g. "/etc"`},
		{"own exec with a typo", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", Exec: []string{"{model_args}", "--port", "{prot}"}},
			`qwen.exec[2]: "{prot}": uses the unknown placeholder {prot}; the placeholders are {model}, {port}, {name} and {model_args} (write {{ and }} for literal braces)`},
		{"own exec that drops the model", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", Exec: []string{"--port", "{port}"}},
			`qwen.model: "Qwen/Qwen2.5-7B-Instruct" is never passed to the engine: exec uses neither {model_args} nor {model}; add "{model_args}" to exec, or remove model`},
		{"empty exec", Soulstone{Name: "qwen", Engine: "vllm", Exec: []string{}},
			`qwen.exec: is empty; leave it out to use the preset's arguments, or list the full argument vector`},
		{"model args in extra args", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", ExtraArgs: []string{"{model_args}"}},
			`qwen.extra_args[0]: {model_args} belongs in exec, which the preset already fills; remove it`},
		{"literal brace in extra args", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", ExtraArgs: []string{`{"a": 1}`}},
			`qwen.extra_args[0]: "{\"a\": 1}": uses the unknown placeholder {"a": 1}; the placeholders are {model}, {port}, {name} and {model_args} (write {{ and }} for literal braces)`},
		{"bad port", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", Port: 70000},
			`qwen.port: port 70000 is out of range; use a number from 1 to 65535`},
		{"bad image", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", Image: "vllm openai"},
			`qwen.image: image "vllm openai" contains a space; write a reference such as "docker.io/library/alpine:3.20" (only letters, digits and . _ - / : @ [ ] + are allowed)`},
		{"bad volume and duplicate", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", Volumes: []string{"~/m:/m", "/a:/x", "/b:/x"}},
			`qwen.volumes[0]: volume "~/m:/m": source "~/m" starts with "~", which Podman does not expand; write the absolute path` + "\n" + `qwen.volumes[2]: mounts at /x like volumes[1]; give each volume its own container path`},
		{"bad device", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", Devices: []string{"gpu"}},
			`qwen.devices[0]: device "gpu" is not a CDI name of the form vendor/class=name; write a CDI name such as "nvidia.com/gpu=all" (list yours with "nvidia-ctk cdi list" or look in /etc/cdi)`},
		{"bad environment", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", Environment: []model.EnvVar{{Name: "A-B", Value: "x"}}},
			`qwen.environment.A-B: environment variable name "A-B" contains '-'; use letters, digits and "_", not starting with a digit (e.g. "HF_HOME")`},
		{"bad shm and timeout", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", ShmSize: "big", StartTimeout: 1500 * time.Millisecond},
			`qwen.shm_size: shm size "big" is not a number with one unit; write a size such as "16g" or "512m" (units b, k, m, g)` + "\n" + `qwen.start_timeout_seconds: start timeout 1.5s is not a whole number of seconds from 1s to 24h; pulling the image on first start counts, so allow for it (e.g. 15m)`},
		{"bad capability", Soulstone{Name: "voice", Engine: "kokoro", Capabilities: []string{"T T S"}},
			`voice.capabilities[0]: capability "T T S" contains a space; start with a letter and use letters, digits, "_", "." and "-", at most 64 characters (e.g. "OpenAIChatCompletions")`},
		{"bad health command", Soulstone{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", HealthCmd: []string{"curl", "http://127.0.0.1:{port/health"}},
			`qwen.health.cmd[1]: "http://127.0.0.1:{port/health": has a "{" that is never closed; write {{ for a literal "{"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := reg.Resolve(tc.s)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n got %v\nwant %s", err, tc.want)
			}
			for _, e := range strings.Split(tc.want, "\n") {
				if !strings.HasPrefix(e, tc.s.Name+".") {
					t.Errorf("error %q does not name the soulstone", e)
				}
			}
		})
	}
}

// TestModelInOtherTemplates: a preset may use {model} outside exec (here in
// the environment); the soulstone then needs a model all the same.
func TestModelInOtherTemplates(t *testing.T) {
	p := goodPreset()
	p.Environment["SERVED"] = "{model}"
	reg := &Registry{}
	if err := reg.Add("eng", p, "test"); err != nil {
		t.Fatal(err)
	}
	res, err := reg.Resolve(Soulstone{Name: "a", Engine: "eng", Model: "org/m"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Environment, []model.EnvVar{{Name: "HF_HOME", Value: "/models/hf"}, {Name: "SERVED", Value: "org/m"}}) {
		t.Errorf("environment = %v", res.Environment)
	}
	p.Exec = []string{"--port", "{port}"}
	p.Model = &preset.ModelArgs{HuggingFace: []string{"{model}"}}
	if errs := p.Validate("eng2"); len(errs) != 1 {
		t.Fatalf("a [model] table unused by exec should be refused, got %q", errorTexts(errs))
	}
	_, err = reg.Resolve(Soulstone{Name: "a", Engine: "eng", Exec: []string{"--port", "{port}"}})
	if want := `a.model: missing; engine "eng" needs a model: a Hugging Face id such as "Qwen/Qwen2.5-7B-Instruct" or an absolute path inside one of its volumes such as "/models/my-model"`; err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}
