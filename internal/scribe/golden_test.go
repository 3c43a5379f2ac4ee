package scribe

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/verify"
)

func codexSrc(file string, line int) model.Source {
	return model.Source{Kind: model.SourceCodex, Name: file, Line: line}
}

func core() []model.Rune {
	return []model.Rune{
		{Name: "vessel", Kind: model.KindCore, Description: "The LychD Daemon Vessel", Image: "ghcr.io/hexanomicon/lychd:latest", Port: 8000, ExposePort: true, HostPort: 7134, StartTimeout: 300 * time.Second,
			Volumes: []string{"%h/.config/lychd:%h/.config/lychd:ro,Z"}, Source: model.Source{Kind: model.SourceCore, Name: "core"}},
		{Name: "phylactery", Kind: model.KindCore, Image: "docker.io/pgvector/pgvector:pg16", Port: 5432, Source: model.Source{Kind: model.SourceCore, Name: "core"}},
	}
}

// goldenCases are the Codexes the issue names: the spec's vision coven, a
// coven of one, an alliance, a soulstone in two covens, exposed ports and
// CDI devices; and soulstones with health checks, shared memory, memory
// limits and a resident soulstone; an extension's one-shot that an
// always-on rune with a health check requires, both as the host user.
var goldenCases = map[string]*model.Manifest{
	"vision-coven": {
		Runes: append(core(),
			model.Rune{Name: "vision-preprocessor", Kind: model.KindSoulstone, Image: "ghcr.io/example/vision-preprocessor:1.0", Groups: []string{"vision"}, Source: codexSrc("soulstones/vision.toml", 2)},
			model.Rune{Name: "vision-analyzer", Kind: model.KindSoulstone, Image: "ghcr.io/example/vision-analyzer:1.0", Groups: []string{"vision"},
				After: []string{"lychd-soulstone-vision-preprocessor.service"}, Requires: []string{"lychd-soulstone-vision-preprocessor.service"}, Source: codexSrc("soulstones/vision.toml", 6)},
			model.Rune{Name: "hermes", Kind: model.KindSoulstone, Image: "ghcr.io/ggml-org/llama.cpp:server", Groups: []string{"reasoning"}, Port: 8081, Source: codexSrc("soulstones/hermes.toml", 1)},
		),
	},
	"coven-of-one": {
		Runes: []model.Rune{
			{Name: "xtts", Kind: model.KindSoulstone, Image: "ghcr.io/coqui-ai/xtts:latest", Port: 8081, Source: codexSrc("soulstones/tts.toml", 1)},
			{Name: "whisper", Kind: model.KindSoulstone, Image: "ghcr.io/ggml-org/whisper:latest", Port: 8081, Source: codexSrc("soulstones/stt.toml", 1)},
		},
	},
	"alliance": {
		Alliances: [][]string{{"reasoning", "tts"}},
		Runes: []model.Rune{
			{Name: "hermes", Kind: model.KindSoulstone, Image: "ghcr.io/example/hermes:latest", Groups: []string{"reasoning"}, Port: 8081, Source: codexSrc("soulstones/a.toml", 1)},
			{Name: "xtts", Kind: model.KindSoulstone, Image: "ghcr.io/example/xtts:latest", Groups: []string{"tts"}, Port: 8082, Source: codexSrc("soulstones/a.toml", 5)},
			{Name: "sdxl", Kind: model.KindSoulstone, Image: "ghcr.io/example/sdxl:latest", Groups: []string{"image"}, Port: 8081, Source: codexSrc("soulstones/a.toml", 9)},
			{Name: "flux", Kind: model.KindSoulstone, Image: "ghcr.io/example/flux:latest", Groups: []string{"image"}, Port: 8083, Source: codexSrc("soulstones/a.toml", 13)},
		},
	},
	"two-covens": {
		Alliances: [][]string{{"chat", "speech"}},
		Runes: []model.Rune{
			{Name: "omni", Kind: model.KindSoulstone, Image: "ghcr.io/example/omni:latest", Groups: []string{"chat", "vision"}, Port: 8081, Source: codexSrc("soulstones/b.toml", 1)},
			{Name: "llava", Kind: model.KindSoulstone, Image: "ghcr.io/example/llava:latest", Groups: []string{"vision"}, Port: 8082, Source: codexSrc("soulstones/b.toml", 5)},
			{Name: "qwen", Kind: model.KindSoulstone, Image: "ghcr.io/example/qwen:latest", Groups: []string{"chat"}, Port: 8083, Source: codexSrc("soulstones/b.toml", 9)},
			{Name: "kokoro", Kind: model.KindSoulstone, Image: "ghcr.io/example/kokoro:latest", Groups: []string{"speech"}, Port: 8084, Source: codexSrc("soulstones/b.toml", 13)},
			{Name: "parler", Kind: model.KindSoulstone, Image: "ghcr.io/example/parler:latest", Groups: []string{"speech"}, Port: 8085, Source: codexSrc("soulstones/b.toml", 17)},
		},
	},
	"exposed-ports": {
		Pod: model.Pod{PublishAddress: "0.0.0.0", Publish: []string{"127.0.0.1:9090:9090"}},
		Runes: append(core(),
			model.Rune{Name: "vllm", Kind: model.KindSoulstone, Image: "docker.io/vllm/vllm-openai:latest", Port: 8081, ExposePort: true, HostPort: 18081, Source: codexSrc("soulstones/c.toml", 1)},
			model.Rune{Name: "llama", Kind: model.KindSoulstone, Image: "ghcr.io/ggml-org/llama.cpp:server", Port: 8081, ExposePort: true, HostPort: 18082, Source: codexSrc("soulstones/c.toml", 8)},
		),
	},
	"engine-health": {
		Runes: []model.Rune{
			{Name: "qwen", Kind: model.KindSoulstone, Image: "docker.io/vllm/vllm-openai:latest", Groups: []string{"reasoning"}, Port: 8081,
				Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct", Devices: []string{"nvidia.com/gpu=0"},
				Exec:      []string{"Qwen/Qwen2.5-7B-Instruct", "--host", "0.0.0.0", "--port", "8081", "--served-model-name", "qwen"},
				HealthCmd: []string{"curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/health"}, HealthInterval: 10 * time.Second,
				HealthTimeout: 5 * time.Second, HealthStartPeriod: 1800 * time.Second, HealthRetries: 3, StartTimeout: 1800 * time.Second,
				ShmSize: "16g", Memory: "48g", Source: codexSrc("soulstones/models.toml", 1)},
			{Name: "tiny", Kind: model.KindSoulstone, Image: "ghcr.io/ggml-org/llama.cpp:server", Groups: []string{"reasoning"}, Port: 8082,
				HealthCmd: []string{"curl", "-fsS", `http://127.0.0.1:8082/health?x=100%&y=$HOME`}, ShmSize: "512m", Source: codexSrc("soulstones/models.toml", 6)},
			{Name: "embed", Kind: model.KindSoulstone, Resident: true, Image: "ghcr.io/ggml-org/llama.cpp:server", Port: 8090,
				Devices: []string{"nvidia.com/gpu=1"}, HealthCmd: []string{"curl", "-fsS", "http://127.0.0.1:8090/health"}, Memory: "4g",
				Source: codexSrc("soulstones/models.toml", 10)},
		},
	},
	"one-shot": {
		Runes: append(core(),
			model.Rune{Name: "db-migrate", Kind: model.KindOneShot, Image: "ghcr.io/example/db:1", HostUser: true,
				Exec: []string{"db", "upgrade", "--to", "head"}, Volumes: []string{"/srv/db:/srv/db:ro,Z"},
				Requires: []string{"lychd-phylactery.service"}, After: []string{"lychd-phylactery.service"},
				Source: model.Source{Kind: model.SourceExtension, Name: "db"}},
			model.Rune{Name: "db-api", Kind: model.KindCore, Image: "ghcr.io/example/db:1", HostUser: true, Port: 9100,
				Requires: []string{"lychd-db-migrate.service"}, After: []string{"lychd-db-migrate.service"},
				HealthCmd: []string{"wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9100/health"}, HealthInterval: 10 * time.Second,
				HealthTimeout: 5 * time.Second, HealthRetries: 3, ShmSize: "1g", Memory: "2g",
				Source: model.Source{Kind: model.SourceExtension, Name: "db"}},
		),
	},
	"cdi-devices": {
		Runes: []model.Rune{
			{Name: "vllm", Kind: model.KindSoulstone, Image: "docker.io/vllm/vllm-openai:latest", Groups: []string{"gpu"}, Port: 8081,
				Devices: []string{"nvidia.com/gpu=all"}, Volumes: []string{"/srv/models:/models:ro,Z"},
				Environment: []model.EnvVar{{Name: "HF_HOME", Value: "/models/hf cache"}, {Name: "PROMPT", Value: `say "100%" of $HOME`}},
				Exec:        []string{"--model", "/models/qwen 7b", "--max-model-len", "8192"}, Source: codexSrc("soulstones/d.toml", 1)},
			{Name: "comfy", Kind: model.KindSoulstone, Image: "ghcr.io/comfyanonymous/comfyui:latest", Groups: []string{"gpu"}, Port: 8188,
				Devices: []string{"nvidia.com/gpu=0", "amd.com/gpu=1"}, Source: codexSrc("soulstones/d.toml", 9)},
			{Name: "tts", Kind: model.KindSoulstone, Image: "ghcr.io/example/tts:latest", Devices: []string{"nvidia.com/gpu=1"}, Source: codexSrc("soulstones/d.toml", 15)},
		},
	},
}

// renderTxt concatenates output files as "-- DIR/NAME --" sections.
func renderTxt(out *Output) []byte {
	var b bytes.Buffer
	for _, f := range out.Quadlet {
		b.WriteString("-- quadlet/" + f.Name + " --\n")
		b.Write(f.Data)
	}
	for _, f := range out.Systemd {
		b.WriteString("-- systemd/" + f.Name + " --\n")
		b.Write(f.Data)
	}
	return b.Bytes()
}

// writeOut lays the output out as it is installed.
func writeOut(t *testing.T, out *Output) verify.Dirs {
	t.Helper()
	root := t.TempDir()
	d := verify.Dirs{Quadlet: filepath.Join(root, "quadlet"), Systemd: filepath.Join(root, "systemd")}
	for _, dir := range []string{d.Quadlet, d.Systemd} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range out.Quadlet {
		if err := os.WriteFile(filepath.Join(d.Quadlet, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range out.Systemd {
		if err := os.WriteFile(filepath.Join(d.Systemd, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestGolden(t *testing.T) {
	quadlet := testtool.Quadlet(t)
	testtool.SystemdAnalyze(t)
	for name, m := range goldenCases {
		t.Run(name, func(t *testing.T) {
			out, err := Compile(m)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got := renderTxt(out)
			golden.Check(t, filepath.Join("testdata", "golden", name+".txt"), got)
			// Idempotence: compiling again gives the same bytes.
			again, err := Compile(m)
			if err != nil || !bytes.Equal(renderTxt(again), got) {
				t.Errorf("second Compile differs")
			}
			d := writeOut(t, out)
			ctx := context.Background()
			if err := verify.QuadletDryRun(ctx, quadlet, d); err != nil {
				t.Error(err)
			}
			if err := verify.SystemdVerify(ctx, quadlet, d); err != nil {
				t.Error(err)
			}
			// Devices are never '-'-prefixed (Quadlet would stat a path and
			// silently drop the CDI name).
			if strings.Contains(string(got), "AddDevice=-") {
				t.Error("AddDevice= value is '-'-prefixed")
			}
		})
	}
}
