package codex

import (
	"fmt"
	"strings"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/validate"
)

// Keys of a portal table.
var (
	portalKeys = []field{
		{"url", "string", `url = "https://api.example.com/v1"`},
		{"description", "string", `description = "Hosted model"`},
		{"capabilities", "array of strings", `capabilities = ["OpenAIChatCompletions"]`},
		{"tags", "array of strings", `tags = ["reasoning"]`},
		{"secrets", "array of strings", `secrets = ["openai-key"]`},
	}
	portalAliases = map[string]string{
		"endpoint": "url", "base_url": "url", "baseurl": "url", "uri": "url", "address": "url", "host": "url",
		"desc":       "description",
		"capability": "capabilities", "caps": "capabilities",
		"tag": "tags", "labels": "tags",
		"secret": "secrets", "api_key": "secrets", "api_key_secret": "secrets", "podman_secrets": "secrets",
	}
)

// portals decodes one portals/*.toml file: one table per portal.
func (l *loader) portals(d *doc) {
	var root keyPath
	for _, name := range d.sortedKeys(root, d.values) {
		p := root.child(name)
		t, ok := d.values[name].(map[string]any)
		if !ok {
			notATable(d, p, "portal", d.values[name])
			continue
		}
		if err := validate.Name(name); err != nil {
			d.errorf(p, "invalid portal name: %v", err)
			continue
		}
		src := model.Source{Kind: model.SourceCodex, Name: d.file, Line: d.pos.line(p)}
		a, ok := portal(d, p, name, t)
		if !l.define(d, p, "portal", name, src) || !ok {
			continue
		}
		a.Source = src
		l.c.Animators = append(l.c.Animators, a)
	}
}

// portal decodes the table of one portal. ok is false when a problem was
// reported.
func portal(d *doc, p keyPath, name string, t map[string]any) (model.Animator, bool) {
	before := len(*d.errs)
	a := model.Animator{Name: name, Kind: model.AnimatorPortal}
	hasURL := false
	for _, k := range d.sortedKeys(p, t) {
		kp, v := p.child(k), t[k]
		f := fieldByName(portalKeys, k)
		switch k {
		case "url":
			a.URL, _ = d.str(kp, f, v, validate.URL)
			hasURL = true
		case "description":
			// Informational only: model.Animator has no description.
			_, _ = d.str(kp, f, v, validate.Description)
		case "capabilities":
			a.Capabilities = d.strList(kp, f, v, validate.Capability)
		case "tags":
			a.Tags = d.strList(kp, f, v, validate.Tag)
		case "secrets":
			// The Vessel calls the portal; it reads each secret from the
			// file /run/secrets/NAME, so a portal names secrets only.
			for _, name := range d.strList(kp, f, v, portalSecret) {
				a.Secrets = append(a.Secrets, model.Secret{Name: name, Type: validate.SecretMount})
			}
		default:
			if d.unknownKey(kp, k, portalKeys, portalAliases, "a portal") == "url" {
				hasURL = true // the misspelt key is reported; do not report url missing too
			}
		}
	}
	if !hasURL {
		d.errorf(p.child("url"), "missing; every portal needs the URL of its API, e.g. %s", portalKeys[0].example)
	}
	return a, len(*d.errs) == before
}

// portalSecret checks a portal's secret: a name, without Podman's options.
func portalSecret(s string) error {
	if name, _, opts := strings.Cut(s, ","); opts {
		return fmt.Errorf("a portal names a secret only: %q has options; the Vessel reads the secret from the file /run/secrets/NAME, write %q", s, name)
	}
	return validate.SecretName(s)
}
