package scribe

import (
	"context"

	"github.com/lychd/lychd/host/registry"
	"github.com/lychd/lychd/internal/model"
	coreext "github.com/lychd/lychd/plugins/core"
)

// The Watchers as the core registers them with [core.watchers] enabled
// and published, beside two soulstones: TestGolden checks their units
// with the real Quadlet generator and systemd-analyze verify.
func init() {
	runes, err := coreext.Runes(coreext.Config{})
	if err != nil {
		panic(err)
	}
	watchers, err := coreext.WatchersRunes(coreext.WatchersConfig{Enabled: true, Publish: true, GrafanaHostPort: 3300})
	if err != nil {
		panic(err)
	}
	runes = append(runes, watchers...)
	c := registry.New(model.Source{Kind: model.SourceCore, Name: "core"})
	for _, r := range runes {
		if err := c.AddRune(context.Background(), r); err != nil {
			panic(err)
		}
	}
	core, _, err := c.Result()
	if err != nil {
		panic(err)
	}
	goldenCases["watchers"] = &model.Manifest{
		Runes: append(core,
			model.Rune{Name: "qwen", Kind: model.KindSoulstone, Image: "docker.io/vllm/vllm-openai:latest", Groups: []string{"reasoning"}, Port: 8081, Source: codexSrc("soulstones/reason.toml", 1)},
			model.Rune{Name: "kokoro", Kind: model.KindSoulstone, Image: "ghcr.io/remsky/kokoro-fastapi-cpu:latest", Groups: []string{"tts"}, Port: 8081, Source: codexSrc("soulstones/tts.toml", 1)},
		),
	}
}
