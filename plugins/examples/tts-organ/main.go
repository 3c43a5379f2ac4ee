// Command tts-organ is an example lychd extension: one text-to-speech
// soulstone, "xtts", in a coven of one (it lists no groups), serving a "TTS"
// Animator on the standard soulstone port 8081 with the GPU.
//
// Its [extensions.tts-organ] table may set:
//
//	language = "en"   # default language passed to the server
package main

import (
	"context"
	"fmt"

	"github.com/lychd/lychd/sdk"
)

// Organ is the text-to-speech extension.
type Organ struct{}

// Config is the [extensions.tts-organ] table.
type Config struct {
	// Language is the default speech language.
	Language string `json:"language"`
}

// Info describes the extension.
func (Organ) Info() sdk.Info {
	return sdk.Info{Name: "tts-organ", Version: "0.1.0", Description: "XTTS text-to-speech"}
}

// Assimilate registers the xtts soulstone and its Animator.
func (Organ) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	cfg := Config{Language: "en"}
	if err := a.Config(&cfg); err != nil {
		return err
	}
	if err := a.AddRune(ctx, sdk.Rune{
		Name:        "xtts",
		Description: "XTTS v2 speech synthesis",
		Image:       "ghcr.io/coqui-ai/xtts-streaming-server:latest-cuda121",
		Port:        8081,
		Devices:     []string{"nvidia.com/gpu=all"},
		Volumes:     []string{"lychd-xtts-models:/app/tts_models:rw,Z"},
		Environment: map[string]string{"COQUI_TOS_AGREED": "1", "DEFAULT_LANGUAGE": cfg.Language},
		Exec:        []string{"--port", "8081"},
	}); err != nil {
		return fmt.Errorf("adding rune xtts: %w", err)
	}
	return a.RegisterAnimator(ctx, sdk.Animator{
		Name:         "xtts",
		Capabilities: []string{"TTS"},
		Tags:         []string{"speech"},
	})
}

func main() { sdk.Serve(Organ{}) }
