package main

import (
	"reflect"
	"testing"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/plugintest"
)

func TestRegisters(t *testing.T) {
	bin := plugintest.BuildBinary(t, ".")
	cfg := plugintest.WithConfig(map[string]any{"language": "de"})
	for name, r := range map[string]*plugintest.Result{
		"in-process": plugintest.Assimilate(t, Organ{}, cfg),
		"binary":     plugintest.AssimilateBinary(t, bin, cfg),
	} {
		t.Run(name, func(t *testing.T) {
			plugintest.Check(t, r)
			wantRunes := []sdk.Rune{{
				Name:        "xtts",
				Description: "XTTS v2 speech synthesis",
				Image:       "ghcr.io/coqui-ai/xtts-streaming-server:latest-cuda121",
				Port:        8081,
				Devices:     []string{"nvidia.com/gpu=all"},
				Volumes:     []string{"lychd-xtts-models:/app/tts_models:rw,Z"},
				Environment: map[string]string{"COQUI_TOS_AGREED": "1", "DEFAULT_LANGUAGE": "de"},
				Exec:        []string{"--port", "8081"},
			}}
			if !reflect.DeepEqual(r.Runes, wantRunes) {
				t.Errorf("runes:\n got %+v\nwant %+v", r.Runes, wantRunes)
			}
			wantAnimators := []sdk.Animator{{Name: "xtts", Capabilities: []string{"TTS"}, Tags: []string{"speech"}}}
			if !reflect.DeepEqual(r.Animators, wantAnimators) {
				t.Errorf("Animators:\n got %+v\nwant %+v", r.Animators, wantAnimators)
			}
			if len(r.RequireRune(t, "xtts").Groups) != 0 {
				t.Error("xtts lists groups; a coven of one lists none")
			}
		})
	}
}

func TestDefaultLanguage(t *testing.T) {
	r := plugintest.Assimilate(t, Organ{})
	if got := r.RequireRune(t, "xtts").Environment["DEFAULT_LANGUAGE"]; got != "en" {
		t.Errorf("DEFAULT_LANGUAGE = %q, want en", got)
	}
}
