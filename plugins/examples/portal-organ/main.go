// Command portal-organ is an example lychd extension that adds no rune: it
// registers one portal, an Animator served by a remote OpenAI-compatible
// API. Its [extensions.portal-organ] table may set:
//
//	name = "openai"                       # the Animator's name
//	url = "https://api.openai.com/v1"     # the API's base URL
//	tags = ["reasoning", "tools"]
//
// Credentials are not part of an Animator; the Vessel reads them from its
// own configuration.
package main

import (
	"context"

	"github.com/lychd/lychd/sdk"
)

// Organ is the portal extension.
type Organ struct{}

// Config is the [extensions.portal-organ] table.
type Config struct {
	Name string   `json:"name"`
	URL  string   `json:"url"`
	Tags []string `json:"tags"`
}

// Defaults for Config.
var defaults = Config{Name: "openai", URL: "https://api.openai.com/v1", Tags: []string{"reasoning", "tools"}}

// Info describes the extension.
func (Organ) Info() sdk.Info {
	return sdk.Info{Name: "portal-organ", Version: "0.1.0", Description: "A portal to an OpenAI-compatible API"}
}

// Assimilate registers the portal.
func (Organ) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	cfg := defaults
	cfg.Tags = append([]string(nil), defaults.Tags...)
	if err := a.Config(&cfg); err != nil {
		return err
	}
	a.Logger().Info("opening portal", "name", cfg.Name, "url", cfg.URL)
	return a.RegisterAnimator(ctx, sdk.Animator{
		Name:         cfg.Name,
		Kind:         sdk.AnimatorPortal,
		URL:          cfg.URL,
		Capabilities: []string{"OpenAIChatCompletions", "OpenAIEmbeddings"},
		Tags:         cfg.Tags,
	})
}

func main() { sdk.Serve(Organ{}) }
