package animators

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmd/cmdtest"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/systemd/systemdfake"
)

const soulstones = `[llava]
image = "ghcr.io/example/llava:1"
groups = ["vision"]
port = 8081
capabilities = ["OpenAIChatCompletions"]
tags = ["vision"]

[tesseract]
image = "ghcr.io/example/tesseract:1"
groups = ["vision"]
port = 8082
capabilities = ["OpenAIChatCompletions"]
tags = ["ocr"]
`

// An extension's multi-capability rune, as the vision organ registers it.
func organ() *host.Result {
	src := model.Source{Kind: model.SourceExtension, Name: "vision-organ"}
	return &host.Result{
		Runes: []model.Rune{{Name: "omni", Kind: model.KindSoulstone, Image: "ghcr.io/example/omni:1", Groups: []string{"omni"}, Source: src}},
		Animators: []model.Animator{
			{Name: "omni", Kind: model.AnimatorSoulstone, Rune: "omni", Capabilities: []string{"OpenAIChatCompletions"}, Tags: []string{"vision", "ocr"}, Source: src},
			{Name: "openai", Kind: model.AnimatorPortal, URL: "https://api.example.com/v1", Capabilities: []string{"OpenAIChatCompletions"}, Tags: []string{"tools"}, Source: model.Source{Kind: model.SourceExtension, Name: "portal-organ"}},
		},
	}
}

// setup binds the Codex soulstones and the organ in a sandbox; running
// are the soulstones systemd reports active. Once bound, animators needs
// no extension: it reads the record.
func setup(t *testing.T, running ...string) (*Options, *bytes.Buffer) {
	t.Helper()
	env := cmdtest.New(t)
	env.WriteCodex(t, "soulstones/vision.toml", soulstones)
	env.Bind(t, organ())
	fake := &systemdfake.Manager{}
	for _, r := range running {
		fake.Units = append(fake.Units, systemd.Unit{Name: "lychd-soulstone-" + r + ".service", ActiveState: "active", SubState: "running", LoadState: "loaded"})
	}
	out := &bytes.Buffer{}
	return &Options{
		IO:      cmdutil.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: out},
		Paths:   func() (paths.Paths, error) { return env.Paths, nil },
		Manager: func(context.Context) (systemd.Manager, error) { return fake, nil },
	}, out
}

func TestList(t *testing.T) {
	opts, out := setup(t, "llava")
	opts.Capability = "OpenAIChatCompletions"
	opts.Tags = []string{"vision"}
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	want := `NAME   KIND       STATE     CAPABILITIES           TAGS        SOURCE
llava  soulstone  active    OpenAIChatCompletions  vision      soulstones/vision.toml:1
omni   soulstone  inactive  OpenAIChatCompletions  vision,ocr  extension vision-organ
`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestPickPrefersOneMultiTagRune(t *testing.T) {
	opts, out := setup(t, "llava", "tesseract")
	opts.Capability = "OpenAIChatCompletions"
	opts.Tags = []string{"vision", "ocr"}
	opts.Pick = true
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	want := `NAME  KIND       STATE     CAPABILITIES           TAGS        SOURCE
omni  soulstone  inactive  OpenAIChatCompletions  vision,ocr  extension vision-organ

Why: omni alone covers capability OpenAIChatCompletions and tags vision+ocr; it needs omni started.
Start with: lychd start omni
`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestNoManagerMeansUnknownState(t *testing.T) {
	opts, out := setup(t)
	opts.Manager = func(context.Context) (systemd.Manager, error) { return nil, errors.New("no manager") }
	opts.JSON = true
	opts.Tags = []string{"tools"}
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "name": "openai",
    "kind": "portal",
    "url": "https://api.example.com/v1",
    "capabilities": [
      "OpenAIChatCompletions"
    ],
    "tags": [
      "tools"
    ],
    "state": "remote",
    "source": "extension portal-organ"
  }
]
`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
