package bind

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/plugintest"
)

// TestTheKitRefusesWhatBindRefuses: for registrations that lychd bind
// refuses whatever the Codex holds, one problem at a time (lychd stops at
// the first refusal of a registration; the kit reports them all),
// plugintest.Check reports exactly bind's problems, in bind's words and
// order. The extension is the actor
// test extension, bound with the real core through factory.Options.
func TestTheKitRefusesWhatBindRefuses(t *testing.T) {
	e, _ := withActor(t)
	const img = "docker.io/library/busybox:1.36"
	for _, tc := range []struct {
		name      string
		runes     []sdk.Rune
		animators []sdk.Animator
	}{
		{name: "two soulstones of one coven on one port", runes: []sdk.Rune{
			{Name: "whisper", Image: img, Groups: []string{"speech"}, Port: 8081},
			{Name: "vad", Image: img, Groups: []string{"speech"}, Port: 8081},
		}},
		{name: "a rune named like a core rune", runes: []sdk.Rune{
			{Name: "vessel", Kind: sdk.AlwaysOn, Image: img},
		}},
		{name: "core ports", runes: []sdk.Rune{
			{Name: "api", Image: img, Port: 8000},
			{Name: "db", Kind: sdk.AlwaysOn, Image: img, Port: 5432},
		}},
		{name: "covens", runes: []sdk.Rune{
			{Name: "c", Image: img, Groups: []string{"x", "y"}, Port: 8081},
			{Name: "b", Image: img, Groups: []string{"y"}, Port: 8081},
			{Name: "a", Image: img, Groups: []string{"y"}, Port: 8081},
			{Name: "d", Image: img, Groups: []string{"z"}, Port: 8081},
			{Name: "e", Kind: sdk.AlwaysOn, Image: img, Port: 8081},
			{Name: "f", Image: img, Port: 9090},
			{Name: "g", Image: img, Groups: []string{"f"}, Port: 9090},
		}},
		{name: "an always-on rune named like a soulstone's unit", runes: []sdk.Rune{
			{Name: "x", Image: img},
			{Name: "soulstone-x", Kind: sdk.AlwaysOn, Image: img},
		}},
		{name: "a host port twice", runes: []sdk.Rune{
			{Name: "x", Image: img, Port: 8081, ExposePort: true, HostPort: 9999},
			{Name: "y", Image: img, Port: 9999, ExposePort: true},
		}},
		{name: "an Animator on an always-on rune", runes: []sdk.Rune{
			{Name: "helper", Kind: sdk.AlwaysOn, Image: img},
		}, animators: []sdk.Animator{{Name: "h", Rune: "helper"}}},
		{name: "a one-shot in a coven", runes: []sdk.Rune{
			{Name: "prep", Kind: sdk.OneShot, Image: img, Groups: []string{"g"}},
		}},
		{name: "a one-shot with a port", runes: []sdk.Rune{
			{Name: "prep", Kind: sdk.OneShot, Image: img, Port: 9000, ExposePort: true},
		}},
		{name: "a one-shot with a health check", runes: []sdk.Rune{
			{Name: "prep", Kind: sdk.OneShot, Image: img, HealthCmd: []string{"true"}},
		}},
		{name: "an Animator on a one-shot", runes: []sdk.Rune{
			{Name: "prep", Kind: sdk.OneShot, Image: img},
		}, animators: []sdk.Animator{{Name: "p", Rune: "prep"}}},
		{name: "a rune named like the migrate one-shot", runes: []sdk.Rune{
			{Name: "migrate", Kind: sdk.OneShot, Image: img},
		}},
		{name: "a bad memory limit", runes: []sdk.Rune{
			{Name: "x", Image: img, Memory: "1m", ShmSize: "0g"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := json.Marshal(map[string]any{"Runes": tc.runes, "Animators": tc.animators})
			if err != nil {
				t.Fatal(err)
			}
			toml, err := tomlTable(cfg)
			if err != nil {
				t.Fatal(err)
			}
			e.writeCodex(t, map[string]string{"lychd.toml": "[extensions.actor]\n" + toml})
			berr := e.run(t)
			if berr == nil {
				t.Fatal("bind accepted it")
			}
			bind := strings.Split(strings.TrimPrefix(berr.Error(), "bind: nothing was written:\n"), "\n")
			// A refusal of the registration itself reaches bind wrapped,
			// and its later lines indented under the extension.
			bind[0] = strings.TrimPrefix(bind[0], `assimilation failed: extension "actor": `)
			for i := 1; i < len(bind); i++ {
				bind[i] = strings.TrimPrefix(bind[i], "  ")
			}

			r := &plugintest.Result{Info: sdk.Info{Name: "actor", Version: "1.0.0"}, Runes: tc.runes, Animators: tc.animators}
			var kit []string
			for _, f := range checkFailures(r) {
				kit = append(kit, strings.TrimPrefix(f, "plugintest.Check: extension actor: "))
			}
			if !reflect.DeepEqual(kit, bind) {
				t.Errorf("the kit and bind disagree:\nkit:  %q\nbind: %q", kit, bind)
			}
		})
	}
}

// tomlTable writes the JSON object raw as the body of a TOML table, one
// key per line with its value as an inline value (JSON arrays and objects
// of strings, numbers and booleans are valid TOML once objects become
// inline tables).
func tomlTable(raw []byte) (string, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", err
	}
	var b strings.Builder
	for k, v := range m {
		if v == nil {
			continue
		}
		fmt.Fprintf(&b, "%s = %s\n", k, tomlValue(v))
	}
	return b.String(), nil
}

func tomlValue(v any) string {
	switch v := v.(type) {
	case map[string]any:
		var parts []string
		for k, x := range v {
			if x != nil {
				parts = append(parts, fmt.Sprintf("%s = %s", k, tomlValue(x)))
			}
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = tomlValue(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		b, _ := json.Marshal(v)
		return string(b)
	default:
		return fmt.Sprint(v)
	}
}

// recordingTB records what plugintest.Check reports.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// checkFailures runs plugintest.Check on r and returns what it reported.
func checkFailures(r *plugintest.Result) []string {
	tb := &recordingTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		plugintest.Check(tb, r)
	}()
	<-done
	return tb.failures
}
