package codex

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/sdk/preset"
)

// TestEngineSoulstone loads the four-line soulstone of docs/engines.md and
// checks every value the vllm preset fills.
func TestEngineSoulstone(t *testing.T) {
	c, err := Load(writeCodex(t, ss("[qwen]\nengine = \"vllm\"\nmodel = \"Qwen/Qwen2.5-7B-Instruct\"\ngroups = [\"reasoning\"]\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Runes) != 1 {
		t.Fatalf("%d runes", len(c.Runes))
	}
	r := c.Runes[0]
	if r.Image != "docker.io/vllm/vllm-openai:latest" || r.Engine != "vllm" || r.Model != "Qwen/Qwen2.5-7B-Instruct" || r.Port != 8081 {
		t.Errorf("image %q engine %q model %q port %d", r.Image, r.Engine, r.Model, r.Port)
	}
	wantExec := []string{"Qwen/Qwen2.5-7B-Instruct", "--host", "0.0.0.0", "--port", "8081", "--served-model-name", "qwen"}
	if !reflect.DeepEqual(r.Exec, wantExec) {
		t.Errorf("exec = %q, want %q", r.Exec, wantExec)
	}
	wantHealth := []string{"curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/health"}
	if !reflect.DeepEqual(r.HealthCmd, wantHealth) || r.HealthInterval != 10*time.Second || r.HealthTimeout != 5*time.Second || r.HealthRetries != 3 || r.HealthStartPeriod != 1800*time.Second {
		t.Errorf("health %q %v %v %d %v", r.HealthCmd, r.HealthInterval, r.HealthTimeout, r.HealthRetries, r.HealthStartPeriod)
	}
	if r.ShmSize != "16g" || r.StartTimeout != 1800*time.Second || !reflect.DeepEqual(r.Devices, []string{"nvidia.com/gpu=all"}) || !reflect.DeepEqual(r.Volumes, []string{"lychd-cache:/cache"}) {
		t.Errorf("shm %q timeout %v devices %q volumes %q", r.ShmSize, r.StartTimeout, r.Devices, r.Volumes)
	}
	if len(c.Animators) != 1 || !reflect.DeepEqual(c.Animators[0].Capabilities, []string{"OpenAIChatCompletions"}) {
		t.Errorf("animators %+v", c.Animators)
	}
	res, ok := c.Engines["qwen"]
	if !ok || !strings.Contains(res.Explain(), `image = "docker.io/vllm/vllm-openai:latest"  # preset vllm (built in)`) {
		t.Errorf("Engines[qwen].Explain() =\n%s", res.Explain())
	}
}

// TestEngineOverrides checks the soulstone's own keys against the preset:
// devices = [] removes the GPU, health_cmd = [] the health check,
// extra_args extends the arguments, memory and resident are kept.
func TestEngineOverrides(t *testing.T) {
	c, err := Load(writeCodex(t, ss(`[embed]
engine = "llama.cpp"
model = "/models/embed.gguf"
volumes = ["/srv/models:/models:ro,Z"]
devices = []
health_cmd = []
extra_args = ["--embeddings", "--alias={name}"]
memory = "4g"
shm_size = "1g"
port = 8090
resident = true
`)))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Runes[0]
	wantExec := []string{"--model", "/models/embed.gguf", "--host", "0.0.0.0", "--port", "8090", "--alias", "embed", "--metrics", "--embeddings", "--alias=embed"}
	if !reflect.DeepEqual(r.Exec, wantExec) {
		t.Errorf("exec = %q, want %q", r.Exec, wantExec)
	}
	if len(r.Devices) != 0 || len(r.HealthCmd) != 0 || r.Memory != "4g" || r.ShmSize != "1g" || !r.Resident || r.Covens() != nil {
		t.Errorf("devices %q health %q memory %q shm %q resident %v covens %q", r.Devices, r.HealthCmd, r.Memory, r.ShmSize, r.Resident, r.Covens())
	}
}

// TestOwnHealthCheck: a soulstone without an engine may give its own
// health check, which gets the presets' defaults.
func TestOwnHealthCheck(t *testing.T) {
	c, err := Load(writeCodex(t, ss("[a]\nimage = \"x\"\nstart_timeout_seconds = 600\nhealth_cmd = [\"wget\", \"-q\", \"http://127.0.0.1:80/\"]\nmemory = \"512m\"\n")))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Runes[0]
	if !reflect.DeepEqual(r.HealthCmd, []string{"wget", "-q", "http://127.0.0.1:80/"}) || r.HealthStartPeriod != 600*time.Second || r.HealthInterval != 10*time.Second || r.Memory != "512m" {
		t.Errorf("%+v", r)
	}
}

// TestUserPreset defines a preset in lychd.toml and uses it.
func TestUserPreset(t *testing.T) {
	files := ss("[tts]\nengine = \"my-tts\"\n")
	files["lychd.toml"] = `[presets.my-tts]
description = "My TTS server"
image = "ghcr.io/example/tts:1"
exec = ["--port", "{port}", "--name", "{name}"]
shm_size = "2g"

[presets.my-tts.health]
cmd = ["curl", "-fsS", "http://127.0.0.1:{port}/ready"]
interval_seconds = 2
`
	c, err := Load(writeCodex(t, files))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Runes[0]
	if r.Image != "ghcr.io/example/tts:1" || !reflect.DeepEqual(r.Exec, []string{"--port", "8081", "--name", "tts"}) || r.ShmSize != "2g" ||
		!reflect.DeepEqual(r.HealthCmd, []string{"curl", "-fsS", "http://127.0.0.1:8081/ready"}) || r.HealthInterval != 2*time.Second {
		t.Errorf("%+v", r)
	}
	if got := c.Engines["tts"].Explain(); !strings.Contains(got, `# preset my-tts (lychd.toml:1)`) {
		t.Errorf("Explain:\n%s", got)
	}
}

var engineMalformed = []malformed{
	{"unknown engine", ss("[a]\nengine = \"vlm\"\nmodel = \"Qwen/Qwen2.5-7B-Instruct\"\n"), `soulstones/s.toml:2: a.engine: "vlm" is not a known engine preset; did you mean "vllm"? the presets are "kokoro", "llama.cpp", "sglang", "vllm"; define your own under [presets.NAME] in lychd.toml, or install the extension that registers it`},
	{"missing model", ss("[a]\nengine = \"vllm\"\ngroups = [\"g\"]\n"), `soulstones/s.toml:1: a.model: missing; engine "vllm" needs a model: a Hugging Face id such as "Qwen/Qwen2.5-7B-Instruct" or an absolute path inside one of its volumes such as "/models/my-model"`},
	{"model of kokoro", ss("[a]\nengine = \"kokoro\"\nmodel = \"x/y\"\n"), `soulstones/s.toml:3: a.model: engine "kokoro" takes no model (its model is part of the image); remove the key`},
	{"model path outside volumes", ss("[a]\nengine = \"llama.cpp\"\nmodel = \"/models/x.gguf\"\n"), `soulstones/s.toml:3: a.model: model path "/models/x.gguf" is not inside any volume of the soulstone (its volumes are mounted at /cache); mount the directory that holds the model, e.g. volumes = ["/srv/models:/models:ro,Z"], and name the model by its path in the container, e.g. "/models/x.gguf"`},
	{"bad shm size", ss("[a]\nengine = \"vllm\"\nmodel = \"a/b\"\nshm_size = \"16 GB\"\n"), `soulstones/s.toml:4: a.shm_size: shm size "16 GB" is not a number with one unit; write a size such as "16g" or "512m" (units b, k, m, g)`},
	{"bad memory", ss("[a]\nimage = \"x\"\nmemory = \"lots\"\n"), `soulstones/s.toml:3: a.memory: memory limit "lots" is not a number with one unit; write a size such as "16g" or "512m" (units b, k, m, g)`},
	{"model without engine", ss("[a]\nimage = \"x\"\nmodel = \"a/b\"\n"), `soulstones/s.toml:3: a.model: set without engine; model is passed to an engine preset: add e.g. engine = "vllm", or pass the model in exec`},
	{"extra_args without engine", ss("[a]\nimage = \"x\"\nextra_args = [\"-v\"]\n"), `soulstones/s.toml:3: a.extra_args: set without engine; extra_args extends an engine preset's arguments: add e.g. engine = "vllm", or list every argument in exec`},
	{"bad placeholder", ss("[a]\nengine = \"vllm\"\nmodel = \"a/b\"\nextra_args = [\"--x\", \"{modle}\"]\n"), `soulstones/s.toml:4: a.extra_args[1]: "{modle}": uses the unknown placeholder {modle}; the placeholders are {model}, {port}, {name} and {model_args} (write {{ and }} for literal braces)`},
	{"resident with groups", ss("[a]\nimage = \"x\"\nresident = true\ngroups = [\"g\"]\n"), `soulstones/s.toml:4: a.groups: set with resident = true; a resident soulstone runs beside everything and belongs to no coven: remove groups, or remove resident`},
	{"engine typo key", ss("[a]\nengin = \"vllm\"\n"), `soulstones/s.toml:2: a.engin: unknown key; did you mean "engine"?`},
	{"health_cmd newline", ss("[a]\nimage = \"x\"\nhealth_cmd = [\"a\\nb\"]\n"), `soulstones/s.toml:3: a.health_cmd[0]: argument "a\nb" contains the control character U+000A; remove it (values must fit on one line)`},
	{"preset unknown key", mainf("[presets.mine]\nimage = \"x\"\nexec = [\"a\"]\nimgae = \"y\"\n"), `lychd.toml:4: presets.mine.imgae: unknown key; did you mean "image"?`},
	{"preset bad exec", mainf("[presets.mine]\nimage = \"x\"\nexec = [\"{model}\"]\n"), `lychd.toml:3: presets.mine.exec[0]: "{model}" uses {model}, but the preset has no [model] table; add one saying how a model is passed, or remove the placeholder`},
	{"preset taken", mainf("[presets.vllm]\nimage = \"x\"\nexec = [\"a\"]\n"), `lychd.toml:1: presets.vllm: already defined (built in); choose another name, e.g. "vllm-custom", or override single keys in the soulstone`},
	{"preset wrong type", mainf("[presets.mine]\nimage = \"x\"\nexec = \"a\"\n"), `lychd.toml:1: presets.mine: exec: expected an array, found string; see the keys of presets in docs/engines.md`},
}

// loadResolved is Load followed by ResolveEngines without extensions, as
// lychd bind does when none registers a preset.
func loadResolved(dir string) (*Codex, error) {
	c, err := Load(dir)
	if err != nil {
		return nil, err
	}
	return c, c.ResolveEngines(nil)
}

func TestEngineMalformed(t *testing.T) {
	for _, tc := range engineMalformed {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadResolved(writeCodex(t, tc.files))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}

// TestExtensionPresets: a soulstone may name an engine only an extension
// registers; Load leaves it for ResolveEngines.
func TestExtensionPresets(t *testing.T) {
	rocm := preset.Preset{
		Image:  "docker.io/rocm/vllm:latest",
		Exec:   []string{"{model_args}", "--port", "{port}"},
		Model:  &preset.ModelArgs{HuggingFace: []string{"{model}"}},
		Health: &preset.HealthCheck{Cmd: []string{"curl", "-fsS", "http://127.0.0.1:{port}/health"}},
	}
	dir := writeCodex(t, ss("[qwen]\nengine = \"vllm-rocm\"\nmodel = \"Qwen/Qwen2.5-7B-Instruct\"\ngroups = [\"reasoning\"]\n\n[tts]\nengine = \"kokoro\"\n"))
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Runes) != 1 || c.Runes[0].Name != "tts" {
		t.Fatalf("before ResolveEngines: runes %+v, want only tts", c.Runes)
	}
	if err := c.ResolveEngines([]ExtensionPreset{{Name: "vllm-rocm", Preset: rocm, Source: "extension rocm"}}); err != nil {
		t.Fatal(err)
	}
	if len(c.Runes) != 2 || c.Runes[0].Name != "qwen" || c.Runes[0].Image != "docker.io/rocm/vllm:latest" ||
		!reflect.DeepEqual(c.Runes[0].Exec, []string{"Qwen/Qwen2.5-7B-Instruct", "--port", "8081"}) || len(c.Runes[0].HealthCmd) == 0 {
		t.Errorf("runes %+v", c.Runes)
	}
	if got := c.Engines["qwen"].Explain(); !strings.Contains(got, "# preset vllm-rocm (extension rocm)") {
		t.Errorf("Explain:\n%s", got)
	}

	// A name taken, and an engine nobody defines.
	c, err = Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = c.ResolveEngines([]ExtensionPreset{{Name: "kokoro", Preset: rocm, Source: "extension rocm"}})
	want := `extension rocm: preset "kokoro": already defined (built in); choose another name, e.g. "kokoro-custom", or override single keys in the soulstone
soulstones/s.toml:2: qwen.engine: "vllm-rocm" is not a known engine preset; the presets are "kokoro", "llama.cpp", "sglang", "vllm"; define your own under [presets.NAME] in lychd.toml, or install the extension that registers it`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}
