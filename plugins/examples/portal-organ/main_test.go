package main

import (
	"reflect"
	"testing"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/plugintest"
)

func TestRegisters(t *testing.T) {
	bin := plugintest.BuildBinary(t, ".")
	cfg := plugintest.WithConfig(map[string]any{"name": "local-llm", "url": "http://192.168.1.20:8000/v1", "tags": []string{"reasoning"}})
	for name, tc := range map[string]struct {
		r    *plugintest.Result
		want sdk.Animator
		logs []string
	}{
		"in-process default": {
			plugintest.Assimilate(t, Organ{}),
			sdk.Animator{Name: "openai", Kind: sdk.AnimatorPortal, URL: "https://api.openai.com/v1",
				Capabilities: []string{"OpenAIChatCompletions", "OpenAIEmbeddings"}, Tags: []string{"reasoning", "tools"}},
			[]string{"[INFO] opening portal: name=openai url=https://api.openai.com/v1"},
		},
		"binary configured": {
			plugintest.AssimilateBinary(t, bin, cfg),
			sdk.Animator{Name: "local-llm", Kind: sdk.AnimatorPortal, URL: "http://192.168.1.20:8000/v1",
				Capabilities: []string{"OpenAIChatCompletions", "OpenAIEmbeddings"}, Tags: []string{"reasoning"}},
			[]string{"[INFO] opening portal: name=local-llm url=http://192.168.1.20:8000/v1"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			plugintest.Check(t, tc.r)
			if len(tc.r.Runes) != 0 {
				t.Errorf("runes = %+v, want none", tc.r.Runes)
			}
			if !reflect.DeepEqual(tc.r.Animators, []sdk.Animator{tc.want}) {
				t.Errorf("Animators:\n got %+v\nwant %+v", tc.r.Animators, []sdk.Animator{tc.want})
			}
			if !reflect.DeepEqual(tc.r.Logs, tc.logs) {
				t.Errorf("logs = %q, want %q", tc.r.Logs, tc.logs)
			}
		})
	}
}

func TestRefusesABadURL(t *testing.T) {
	r := plugintest.Assimilate(t, Organ{}, plugintest.WithConfig(map[string]any{"url": "api.openai.com"}), plugintest.AllowError())
	want := `Animator "openai": URL "api.openai.com" has no scheme; write an absolute URL such as "https://api.example.com/v1"`
	if r.Err == nil || r.Err.Error() != want {
		t.Errorf("Err:\n got %v\nwant %s", r.Err, want)
	}
}
