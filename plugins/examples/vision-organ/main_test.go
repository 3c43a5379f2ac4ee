package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/plugintest"
)

func want(model string) ([]sdk.Rune, []sdk.Animator) {
	return []sdk.Rune{{
			Name:        "vision-preprocessor",
			Description: "Vision preprocessor (image normalisation and tiling)",
			Image:       "ghcr.io/lychd/vision-preprocessor:0.1",
			Groups:      []string{"vision"},
			Port:        8082,
			Devices:     []string{"nvidia.com/gpu=all"},
			Exec:        []string{"--port", "8082"},
		}, {
			Name:        "vision-analyzer",
			Description: "Vision analyzer",
			Image:       "ghcr.io/lychd/vision-analyzer:0.1",
			Groups:      []string{"vision"},
			After:       []string{"lychd-soulstone-vision-preprocessor.service"},
			Requires:    []string{"lychd-soulstone-vision-preprocessor.service"},
			Port:        8081,
			Devices:     []string{"nvidia.com/gpu=all"},
			Environment: map[string]string{"PREPROCESSOR_URL": "http://127.0.0.1:8082"},
			Exec:        []string{"--port", "8081"},
		}, {
			Name:         "vision-ocr",
			Description:  "Vision-language model for image understanding and OCR",
			Image:        "docker.io/vllm/vllm-openai:v0.6.3",
			Port:         8081,
			Devices:      []string{"nvidia.com/gpu=all"},
			Volumes:      []string{"lychd-hf-cache:/models:rw,Z"},
			Environment:  map[string]string{"HF_HOME": "/models"},
			Exec:         []string{"--model", model, "--port", "8081"},
			StartTimeout: 15 * time.Minute,
		}}, []sdk.Animator{
			{Name: "vision", Rune: "vision-analyzer", Capabilities: []string{"OpenAIChatCompletions"}, Tags: []string{"vision"}},
			{Name: "vision-ocr", Capabilities: []string{"OpenAIChatCompletions"}, Tags: []string{"vision", "ocr"}},
		}
}

func TestRegisters(t *testing.T) {
	bin := plugintest.BuildBinary(t, ".")
	for _, tc := range []struct {
		name   string
		opts   []plugintest.Option
		model  string
		binary bool
	}{
		{"in-process default", nil, DefaultModel, false},
		{"in-process configured", []plugintest.Option{plugintest.WithConfig(map[string]any{"model": "OpenGVLab/InternVL2-8B"})}, "OpenGVLab/InternVL2-8B", false},
		{"binary default", nil, DefaultModel, true},
		{"binary configured", []plugintest.Option{plugintest.WithConfig(map[string]any{"model": "OpenGVLab/InternVL2-8B"})}, "OpenGVLab/InternVL2-8B", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r *plugintest.Result
			if tc.binary {
				r = plugintest.AssimilateBinary(t, bin, tc.opts...)
			} else {
				r = plugintest.Assimilate(t, Organ{}, tc.opts...)
			}
			plugintest.Check(t, r)
			if want := (sdk.Info{Name: "vision-organ", Version: "0.1.0", Description: "Vision pipeline and a vision+OCR model"}); r.Info != want {
				t.Errorf("Info = %+v, want %+v", r.Info, want)
			}
			runes, animators := want(tc.model)
			if !reflect.DeepEqual(r.Runes, runes) {
				t.Errorf("runes:\n got %+v\nwant %+v", r.Runes, runes)
			}
			if !reflect.DeepEqual(r.Animators, animators) {
				t.Errorf("Animators:\n got %+v\nwant %+v", r.Animators, animators)
			}
			if got := r.Tagged("ocr"); !reflect.DeepEqual(got, []string{"vision-ocr"}) {
				t.Errorf("Animators tagged ocr = %q, want the one multi-capability Animator", got)
			}
			if wantLogs := []string{"[DEBUG] registering vision runes: model=" + tc.model}; !reflect.DeepEqual(r.Logs, wantLogs) {
				t.Errorf("logs = %q, want %q", r.Logs, wantLogs)
			}
		})
	}
}

func TestRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		config map[string]any
		want   string
	}{
		{map[string]any{"model": ""}, `model is empty; set it to a Hugging Face model id such as "Qwen/Qwen2.5-VL-7B-Instruct" or remove the key`},
		{map[string]any{"modle": "x"}, `decoding the extension's config table: unknown key "modle" (known keys: "model"; check its spelling in lychd.toml)`},
	} {
		r := plugintest.Assimilate(t, Organ{}, plugintest.WithConfig(tc.config), plugintest.AllowError())
		if r.Err == nil || r.Err.Error() != tc.want {
			t.Errorf("config %v:\n got %v\nwant %s", tc.config, r.Err, tc.want)
		}
	}
}
