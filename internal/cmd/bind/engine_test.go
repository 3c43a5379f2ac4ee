package bind

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/host/registry"
	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/verify"
	"github.com/lychd/lychd/sdk/preset"
)

// fourLineCodex declares each model in four lines: a name, an engine, a
// model and its covens (kokoro's model is part of its image).
const fourLineCodex = `[qwen]
engine = "vllm"
model = "Qwen/Qwen2.5-7B-Instruct"
groups = ["reasoning"]

[gemma]
engine = "llama.cpp"
model = "ggml-org/gemma-3-1b-it-GGUF:Q4_K_M"
groups = ["chat"]

[speech]
engine = "kokoro"
groups = ["tts"]
`

// TestFourLineCodexBinds is the "done when": a Codex of four lines
// per model binds, through the real bind, to units that the real Quadlet
// generator and systemd-analyze accept, with the presets' health checks,
// Notify=healthy and the pod's shared memory; the record carries them.
func TestFourLineCodexBinds(t *testing.T) {
	quadlet := testtool.Quadlet(t)
	testtool.SystemdAnalyze(t)
	e := newEnv(t, map[string]string{"soulstones/models.toml": fourLineCodex})
	if err := e.run(t); err != nil {
		t.Fatalf("%v\n%s", err, e.err)
	}
	p, err := e.opts.Paths()
	if err != nil {
		t.Fatal(err)
	}
	gen := p.CurrentGeneration()
	d := verify.Dirs{Quadlet: filepath.Join(gen, bound.QuadletDir), Systemd: filepath.Join(gen, bound.SystemdDir)}
	ctx := context.Background()
	if err := verify.QuadletDryRun(ctx, quadlet, d); err != nil {
		t.Fatal(err)
	}
	if err := verify.SystemdVerify(ctx, quadlet, d); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"qwen", "gemma", "speech"} {
		data, err := os.ReadFile(filepath.Join(d.Quadlet, "lychd-soulstone-"+name+".container"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range []string{"HealthCmd=[\"curl\",", "Notify=healthy", "HealthStartPeriod="} {
			if !strings.Contains(string(data), line) {
				t.Errorf("%s.container lacks %s:\n%s", name, line, data)
			}
		}
	}
	pod, err := os.ReadFile(filepath.Join(d.Quadlet, "lychd.pod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pod), "\nShmSize=16g\n") {
		t.Errorf("lychd.pod lacks ShmSize=16g (vllm's need):\n%s", pod)
	}
	rec, err := bound.Read(gen)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rec.Manifest.Runes {
		if r.Name == "qwen" {
			found = true
			if r.Engine != "vllm" || r.Model != "Qwen/Qwen2.5-7B-Instruct" || len(r.HealthCmd) == 0 || r.ShmSize != "16g" {
				t.Errorf("bound record of qwen: engine %q model %q health %q shm %q", r.Engine, r.Model, r.HealthCmd, r.ShmSize)
			}
		}
	}
	if !found {
		t.Error("bound record has no qwen")
	}

	// A dry run lists what the presets filled.
	e.opts.DryRun = true
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/engines-dry-run.txt", e.out.Bytes())
}

// TestExtensionPresetBinds: a soulstone names an engine an extension
// registered; bind resolves it after the assimilation, and refuses an
// engine nobody defines with its file and line.
func TestExtensionPresetBinds(t *testing.T) {
	codexFiles := map[string]string{"soulstones/models.toml": "[qwen]\nengine = \"vllm-rocm\"\nmodel = \"Qwen/Qwen2.5-7B-Instruct\"\ngroups = [\"reasoning\"]\n"}
	e := newEnv(t, codexFiles)
	if err := e.run(t); err == nil || !strings.Contains(err.Error(), `soulstones/models.toml:2: qwen.engine: "vllm-rocm" is not a known engine preset`) {
		t.Fatalf("without the extension: %v", err)
	}
	core := fakeCore()
	e.opts.Assimilate = func(ctx context.Context, cx *codex.Codex) (*host.Result, error) {
		res, err := core(ctx, cx)
		if err != nil {
			return nil, err
		}
		res.Presets = []registry.Preset{{Name: "vllm-rocm", Source: model.Source{Kind: model.SourceExtension, Name: "rocm"}, Preset: preset.Preset{
			Image:  "docker.io/rocm/vllm:latest",
			Exec:   []string{"{model_args}", "--port", "{port}"},
			Model:  &preset.ModelArgs{HuggingFace: []string{"{model}"}},
			Health: &preset.HealthCheck{Cmd: []string{"curl", "-fsS", "http://127.0.0.1:{port}/health"}},
		}}}
		return res, nil
	}
	if err := e.run(t); err != nil {
		t.Fatalf("%v\n%s", err, e.err)
	}
	p, _ := e.opts.Paths()
	data, err := os.ReadFile(filepath.Join(p.CurrentGeneration(), bound.QuadletDir, "lychd-soulstone-qwen.container"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"Image=docker.io/rocm/vllm:latest", "Exec=Qwen/Qwen2.5-7B-Instruct --port 8081", "Notify=healthy"} {
		if !strings.Contains(string(data), "\n"+line+"\n") {
			t.Errorf("qwen's unit lacks %s:\n%s", line, data)
		}
	}
}
