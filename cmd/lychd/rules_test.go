package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/plugintest"
)

// TestTheRulesTableIsTrue checks every error the rules table of
// docs/extensions.md quotes: each is what the kit says for a registration
// that breaks the rule (or, for what only lychd bind and the config
// tables can show, what the tutorial's script asserts lychd prints). In
// the table NAME stands for the extension and "…" for text left out.
func TestTheRulesTableIsTrue(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "extensions.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "\n## The rules\n")
	if !ok {
		t.Fatal("docs/extensions.md has no section \"The rules\"")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	var quoted []string
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| ") || len(cells) != 3 || strings.HasPrefix(cells[2], "---") || cells[2] == "error |" {
			continue
		}
		for i, part := range strings.Split(cells[2], "`") {
			if i%2 == 1 {
				quoted = append(quoted, part)
			}
		}
	}
	if len(quoted) < 20 {
		t.Fatalf("found %d quoted errors in the rules table, want the whole table", len(quoted))
	}

	said := kitErrors(t)
	a, err := txtar.ParseFile(filepath.Join("testdata", "tutorial", "extensions.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var asserted []*regexp.Regexp
	for _, line := range strings.Split(string(a.Comment), "\n") {
		if arg, ok := strings.CutPrefix(line, "stderr '"); ok {
			asserted = append(asserted, regexp.MustCompile(strings.ReplaceAll(strings.TrimSuffix(arg, "'"), "''", "'")))
		}
	}
	for _, q := range quoted {
		pattern := regexp.QuoteMeta(q)
		pattern = strings.ReplaceAll(pattern, "…", ".*")
		pattern = strings.ReplaceAll(pattern, "NAME", "[a-z][a-z0-9-]*")
		re := regexp.MustCompile("(?s)^" + pattern + "$")
		found := false
		for _, s := range said {
			found = found || re.MatchString(s)
		}
		concrete := strings.ReplaceAll(q, "NAME", "whisper-organ")
		for _, re := range asserted {
			found = found || (!strings.Contains(q, "…") && re.MatchString("assimilation failed: extension \"whisper-organ\": "+concrete)) ||
				(!strings.Contains(q, "…") && re.MatchString("assimilation failed: "+concrete))
		}
		if !found {
			t.Errorf("the rules table quotes an error nothing says:\n%s", q)
		}
	}
}

// kitErrors is everything the kit says for registrations that break one
// rule each, as an extension author sees it.
func kitErrors(t *testing.T) []string {
	const img = "docker.io/library/busybox:1.36"
	var said []string
	for _, r := range []sdk.Rune{
		{Name: "X", Image: img},
		{Name: "x"},
		{Name: "x", Kind: sdk.AlwaysOn, Image: img, Groups: []string{"g"}},
		{Name: "x", Image: img, After: []string{"whisper"}},
		{Name: "x", Image: img, Devices: []string{"nvidia0"}},
		{Name: "x", Image: img, Volumes: []string{"%h/models:/models"}},
		{Name: "x", Image: img, Port: 70000},
		{Name: "x", Image: img, StartTimeout: 1500 * time.Millisecond},
		{Name: "x", Image: img, Environment: map[string]string{"1X": "y"}},
		{Name: "x", Image: img, Secrets: []string{"hf,uid=0"}},
		{Name: "x", Kind: sdk.OneShot, Image: img, Groups: []string{"g"}},
		{Name: "x", Kind: sdk.OneShot, Image: img, Port: 9000},
		{Name: "x", Kind: sdk.OneShot, Image: img, HealthCmd: []string{"true"}},
		{Name: "x", Image: img, HealthCmd: []string{"curl", "a\nb"}},
		{Name: "x", Image: img, ShmSize: "16gb"},
		{Name: "x", Image: img, Memory: "1m"},
	} {
		if err := sdk.ValidateRune(r); err != nil {
			said = append(said, err.Error())
		}
	}
	for _, a := range []sdk.Animator{
		{Name: "x", URL: "https://api.example.com/v1"},
		{Name: "x", Tags: []string{"text to speech"}},
		{Name: "x", Secrets: []string{"key"}},
	} {
		if err := sdk.ValidateAnimator(a); err != nil {
			said = append(said, err.Error())
		}
	}
	many := make([]sdk.Rune, sdk.MaxRunes+1)
	for i := range many {
		many[i] = sdk.Rune{Name: fmt.Sprintf("r%d", i), Image: img}
	}
	for _, set := range []struct {
		runes     []sdk.Rune
		animators []sdk.Animator
	}{
		{runes: many},
		{runes: []sdk.Rune{{Name: "x", Image: img}, {Name: "x", Image: img}}},
		{animators: []sdk.Animator{{Name: "x", Rune: "y"}}},
		{runes: []sdk.Rune{{Name: "vessel", Kind: sdk.AlwaysOn, Image: img}}},
		{runes: []sdk.Rune{{Name: "x", Image: img}, {Name: "soulstone-x", Kind: sdk.AlwaysOn, Image: img}}},
		{runes: []sdk.Rune{{Name: "y", Kind: sdk.AlwaysOn, Image: img}}, animators: []sdk.Animator{{Name: "x", Rune: "y"}}},
		{runes: []sdk.Rune{{Name: "x", Image: img, Groups: []string{"g"}, Port: 8081}, {Name: "y", Image: img, Groups: []string{"g"}, Port: 8081}}},
		{runes: []sdk.Rune{{Name: "x", Image: img, Port: 8081, ExposePort: true, HostPort: 9999}, {Name: "y", Image: img, Port: 9999, ExposePort: true}}},
		{runes: []sdk.Rune{{Name: "x", Image: img, Port: 8000}}},
	} {
		r := &plugintest.Result{Info: sdk.Info{Name: "e", Version: "1"}, Runes: set.runes, Animators: set.animators}
		for _, f := range failures(func(tb testing.TB) { plugintest.Check(tb, r) }) {
			said = append(said, strings.TrimPrefix(f, "plugintest.Check: extension e: "))
		}
	}
	config := plugintest.WithConfig(map[string]any{"modle": "small"})
	if r := plugintest.Assimilate(t, configured{}, config, plugintest.AllowError()); r.Err != nil {
		said = append(said, r.Err.Error())
	}
	said = append(said, failures(func(tb testing.TB) { plugintest.Assimilate(tb, &drifting{}) })...)
	stuck := stubborn{release: make(chan struct{})}
	defer close(stuck.release)
	if r := plugintest.Assimilate(t, stuck, plugintest.WithTimeout(20*time.Millisecond), plugintest.AllowError()); r.Err != nil {
		said = append(said, r.Err.Error())
	}
	return said
}

// configured decodes the tutorial's config table.
type configured struct{}

func (configured) Info() sdk.Info { return sdk.Info{Name: "e", Version: "1"} }
func (configured) Assimilate(_ context.Context, a sdk.Assimilation) error {
	var c struct {
		Model string `json:"model"`
		GPU   bool   `json:"gpu"`
	}
	return a.Config(&c)
}

// drifting registers something else each time.
type drifting struct{ n int }

func (*drifting) Info() sdk.Info { return sdk.Info{Name: "e", Version: "1"} }
func (d *drifting) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	d.n++
	return a.AddRune(ctx, sdk.Rune{Name: "x", Image: fmt.Sprintf("docker.io/library/busybox:1.%d", d.n)})
}

// stubborn ignores its context.
type stubborn struct{ release chan struct{} }

func (stubborn) Info() sdk.Info { return sdk.Info{Name: "e", Version: "1"} }
func (s stubborn) Assimilate(context.Context, sdk.Assimilation) error {
	<-s.release
	return nil
}

// recorder is a testing.TB that records failures; Fatalf ends the calling
// goroutine as the real one does.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	said []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.said = append(r.said, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// failures runs fn with a recorder in a goroutine of its own and returns
// what it recorded.
func failures(fn func(testing.TB)) []string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.said
}
