package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestFederation: the Animators of a second lychd host (here a second
// HOME with its own Codex, bound with --no-reload) become portals of the
// first through `lychd animators --json` and `lychd portal import`, and
// the first host's Dispatcher then routes to them.
func TestFederation(t *testing.T) {
	t.Parallel()
	m := Boot(t, shared(t))
	const homeB = "/root/host-b"
	m.WriteFile(t, homeB+"/.config/lychd/soulstones/b.toml", `[qwen]
image = "example.invalid/qwen:1"
capabilities = ["OpenAIChatCompletions"]
tags = ["reasoning", "tools"]

[whisper]
image = "example.invalid/whisper:1"
capabilities = ["OpenAITranscriptions"]
tags = ["speech"]
`)
	m.WriteFile(t, "/root/.config/lychd/soulstones/a.toml", `[llava]
image = "example.invalid/llava:1"
capabilities = ["OpenAIChatCompletions"]
tags = ["vision"]
`)
	onB := func(args ...string) string {
		t.Helper()
		return m.MustUserRun(t, append([]string{"env", "HOME=" + homeB, LychdPath}, args...)...)
	}
	onB("bind", "--no-reload")
	exported := onB("animators", "--json")
	m.WriteFile(t, "/root/b-animators.json", exported)

	for _, args := range [][]string{{"portal", "import", "/root/b-animators.json", "--url", "http://gpu-b:7134/v1"}, {"bind"}} {
		if out, errOut, ok := lychd(t, m, args...); !ok {
			t.Fatalf("lychd %s:\n%s%s", strings.Join(args, " "), out, errOut)
		}
	}
	out, errOut, ok := lychd(t, m, "animators", "--json")
	if !ok {
		t.Fatalf("animators: %s%s", out, errOut)
	}
	var list []struct {
		Name, Kind, URL, State string
		Tags                   []string
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range list {
		got = append(got, a.Name+" "+a.Kind+" "+a.URL+" "+a.State+" "+strings.Join(a.Tags, ","))
	}
	want := "gpu-b-qwen portal http://gpu-b:7134/v1 remote reasoning,tools\ngpu-b-whisper portal http://gpu-b:7134/v1 remote speech\nllava soulstone  inactive vision"
	if strings.Join(got, "\n") != want {
		t.Errorf("animators of host A:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	// The Dispatcher of host A routes an intent only host B serves there.
	out, errOut, ok = lychd(t, m, "animators", "--capability", "OpenAIChatCompletions", "--tag", "tools", "--pick")
	if !ok || !strings.HasPrefix(out, "NAME        KIND    STATE   CAPABILITIES           TAGS             SOURCE\ngpu-b-qwen  portal  remote  OpenAIChatCompletions  reasoning,tools  portals/gpu-b.toml:") {
		t.Errorf("pick on host A:\n%s%s", out, errOut)
	}
}
