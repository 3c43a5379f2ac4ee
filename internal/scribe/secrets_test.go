package scribe

import (
	"reflect"
	"testing"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/unitfile"
)

// TestPortalSecretsReachTheVessel: a portal's secrets are mounted into the
// Vessel (the process that calls portals), after its own and each once;
// no other container receives them.
func TestPortalSecretsReachTheVessel(t *testing.T) {
	core := model.Source{Kind: model.SourceCore, Name: "core"}
	m := &model.Manifest{
		Runes: []model.Rune{
			{Name: "vessel", Kind: model.KindCore, Image: "v", Source: core,
				Secrets: []model.Secret{{Name: "own", Type: "mount"}}},
			{Name: "s", Kind: model.KindSoulstone, Image: "s", Source: model.Source{Kind: model.SourceCodex, Name: "soulstones/s.toml", Line: 1},
				Secrets: []model.Secret{{Name: "hf", Type: "env", Target: "HF_TOKEN"}}},
		},
		Animators: []model.Animator{
			{Name: "p", Kind: model.AnimatorPortal, URL: "https://a.org", Secrets: []model.Secret{{Name: "key-a", Type: "mount"}, {Name: "own", Type: "mount"}}},
			{Name: "q", Kind: model.AnimatorPortal, URL: "https://b.org", Secrets: []model.Secret{{Name: "key-a", Type: "mount"}}},
		},
	}
	out, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range out.Quadlet {
		p, err := unitfile.Parse(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		if s := p.Get("Container", "Secret"); len(s) > 0 {
			got[f.Name] = s
		}
	}
	want := map[string][]string{
		"lychd-vessel.container":      {"own", "key-a"},
		"lychd-soulstone-s.container": {"hf,type=env,target=HF_TOKEN"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Secret= lines = %q, want %q", got, want)
	}
	if names := m.SecretNames(); !reflect.DeepEqual(names, []string{"hf", "key-a", "own"}) {
		t.Errorf("SecretNames = %q", names)
	}
}
