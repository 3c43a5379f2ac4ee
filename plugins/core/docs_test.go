package core_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/lychd/lychd/plugins/core"
)

// TestCodexDocumentsTheWatchers: docs/codex.md documents every key of
// [core.watchers] with an example, and the [core] tables of its example
// with [core.watchers] are accepted by the core, Watchers included.
func TestCodexDocumentsTheWatchers(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "codex.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(md)
	_, section, ok := strings.Cut(doc, "- `[core.watchers]`:")
	if !ok {
		t.Fatal("docs/codex.md has no [core.watchers] entry")
	}
	section, _, _ = strings.Cut(section, "\n- ")
	typ := reflect.TypeFor[core.WatchersConfig]()
	for i := range typ.NumField() {
		key, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		entry := regexp.MustCompile("(?m)^  - `" + regexp.QuoteMeta(key) + "`: `" + regexp.QuoteMeta(key) + " = [^`]+`")
		if !entry.MatchString(section) {
			t.Errorf("docs/codex.md does not document [core.watchers] %s as \"- `%s`: `%s = ...`\"", key, key, key)
		}
	}

	var lychdToml string
	for _, b := range strings.Split(doc, "```toml\n")[1:] {
		if b, _, _ = strings.Cut(b, "```"); strings.Contains(b, "[core.watchers]") {
			lychdToml = b
		}
	}
	var m map[string]any
	if err := toml.Unmarshal([]byte(lychdToml), &m); err != nil {
		t.Fatalf("the lychd.toml example: %v", err)
	}
	raw, err := json.Marshal(m["core"])
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	r, err := assimilate(t, cfg)
	if err != nil {
		t.Fatalf("the core refuses the [core] tables of docs/codex.md: %v", err)
	}
	check(t, r)
	var names []string
	for _, ru := range r.Runes {
		names = append(names, ru.Name)
	}
	if len(names) < 2 || !reflect.DeepEqual(names[len(names)-2:], []string{"harvester", "grafana"}) {
		t.Errorf("the example registers %q, want the Watchers (harvester, grafana) last", names)
	}
}
