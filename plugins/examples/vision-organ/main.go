// Command vision-organ is an example lychd extension. It registers:
//
//   - a two-member coven "vision": vision-preprocessor, then
//     vision-analyzer, which is ordered after the preprocessor and requires
//     it; the analyzer serves the "vision" Animator;
//   - one multi-capability soulstone, "vision-ocr", a vision-language model
//     in a coven of its own whose Animator carries both the "vision" and the
//     "ocr" tags, so that one container can satisfy both intents.
//
// Every soulstone uses the GPU through CDI ("nvidia.com/gpu=all"). Its
// [extensions.vision-organ] table may set:
//
//	model = "Qwen/Qwen2.5-VL-7B-Instruct"   # served by vision-ocr
//
// Ports: the analyzer and vision-ocr serve the Sepulcher's standard API
// port 8081. They never run together (they are in different covens, which
// are mutually exclusive unless the user allies them). The preprocessor runs
// alongside the analyzer in the same pod network, so it cannot also bind
// 8081: it uses 8082.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lychd/lychd/sdk"
)

// DefaultModel is the model vision-ocr serves unless the config says
// otherwise.
const DefaultModel = "Qwen/Qwen2.5-VL-7B-Instruct"

const (
	gpu = "nvidia.com/gpu=all"
	// hfCache is a named Podman volume shared by the soulstones so that
	// model weights are downloaded once.
	hfCache = "lychd-hf-cache:/models:rw,Z"
)

// Organ is the vision extension.
type Organ struct{}

// Config is the [extensions.vision-organ] table.
type Config struct {
	// Model is the Hugging Face model vision-ocr serves.
	Model string `json:"model"`
}

// Info describes the extension.
func (Organ) Info() sdk.Info {
	return sdk.Info{Name: "vision-organ", Version: "0.1.0", Description: "Vision pipeline and a vision+OCR model"}
}

// Assimilate registers the vision coven, vision-ocr and their Animators.
func (Organ) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	cfg := Config{Model: DefaultModel}
	if err := a.Config(&cfg); err != nil {
		return err
	}
	if cfg.Model == "" {
		return fmt.Errorf("model is empty; set it to a Hugging Face model id such as %q or remove the key", DefaultModel)
	}
	a.Logger().Debug("registering vision runes", "model", cfg.Model)

	runes := []sdk.Rune{{
		Name:        "vision-preprocessor",
		Description: "Vision preprocessor (image normalisation and tiling)",
		Image:       "ghcr.io/lychd/vision-preprocessor:0.1",
		Groups:      []string{"vision"},
		Port:        8082,
		Devices:     []string{gpu},
		Exec:        []string{"--port", "8082"},
	}, {
		Name:        "vision-analyzer",
		Description: "Vision analyzer",
		Image:       "ghcr.io/lychd/vision-analyzer:0.1",
		Groups:      []string{"vision"},
		After:       []string{"lychd-soulstone-vision-preprocessor.service"},
		Requires:    []string{"lychd-soulstone-vision-preprocessor.service"},
		Port:        8081,
		Devices:     []string{gpu},
		Environment: map[string]string{"PREPROCESSOR_URL": "http://127.0.0.1:8082"},
		Exec:        []string{"--port", "8081"},
	}, {
		Name:        "vision-ocr",
		Description: "Vision-language model for image understanding and OCR",
		Image:       "docker.io/vllm/vllm-openai:v0.6.3",
		Port:        8081,
		Devices:     []string{gpu},
		Volumes:     []string{hfCache},
		Environment: map[string]string{"HF_HOME": "/models"},
		Exec:        []string{"--model", cfg.Model, "--port", "8081"},
		// The vLLM image is several gigabytes: its first pull needs far
		// more than systemd's default 90 s.
		StartTimeout: 15 * time.Minute,
	}}
	for _, r := range runes {
		if err := a.AddRune(ctx, r); err != nil {
			return fmt.Errorf("adding rune %s: %w", r.Name, err)
		}
	}

	animators := []sdk.Animator{{
		Name:         "vision",
		Rune:         "vision-analyzer",
		Capabilities: []string{"OpenAIChatCompletions"},
		Tags:         []string{"vision"},
	}, {
		Name:         "vision-ocr",
		Capabilities: []string{"OpenAIChatCompletions"},
		Tags:         []string{"vision", "ocr"},
	}}
	for _, an := range animators {
		if err := a.RegisterAnimator(ctx, an); err != nil {
			return fmt.Errorf("registering Animator %s: %w", an.Name, err)
		}
	}
	return nil
}

func main() { sdk.Serve(Organ{}) }
