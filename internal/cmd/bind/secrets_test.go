package bind

import (
	"context"
	"io"
	"reflect"
	"testing"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/podman"
)

// fakeSecrets is Podman's secret store holding have; asked records every
// name it was asked about.
type fakeSecrets struct {
	have  map[string]bool
	asked []string
}

func (f *fakeSecrets) Exists(_ context.Context, name string) (bool, error) {
	f.asked = append(f.asked, name)
	return f.have[name], nil
}

func (f *fakeSecrets) Create(context.Context, string, io.Reader) error {
	panic("bind never creates a secret")
}

var secretCodex = map[string]string{
	"soulstones/vision.toml": "[vision]\nimage = \"docker.io/library/busybox:1.36\"\nsecrets = [\"hf-token,type=env,target=HF_TOKEN\"]\n",
	"portals/cloud.toml":     "[cloud]\nurl = \"https://api.example.com/v1\"\nsecrets = [\"cloud-key\", \"hf-token\"]\n",
}

func coreWithSecret() model.Rune {
	return model.Rune{Name: "phylactery", Kind: model.KindCore, Image: "pg", Source: model.Source{Kind: model.SourceCore, Name: "core"},
		Secrets: []model.Secret{{Name: "lychd-phylactery-password", Type: "mount"}}}
}

// TestBindRefusesMissingSecrets: a bind whose units name secrets Podman
// does not have writes nothing and says, for each, who needs it and how to
// create it (lychd init for the core's).
func TestBindRefusesMissingSecrets(t *testing.T) {
	e := newEnv(t, secretCodex)
	e.opts.Assimilate = fakeCore(coreWithSecret())
	store := &fakeSecrets{have: map[string]bool{"cloud-key": true}}
	e.opts.Secrets = func() (podman.Secrets, error) { return store, nil }
	before := e.snapshot(t)
	err := e.run(t)
	want := `bind: nothing was written: 2 Podman secrets the units need do not exist:
  hf-token (needed by portal cloud (portals/cloud.toml:1), soulstone vision (soulstones/vision.toml:1)): create it with
      podman secret create hf-token -
    and type the value, then Ctrl-D
  lychd-phylactery-password (needed by core rune phylactery (core)): run lychd init, which creates it`
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got: %v\nwant: %s", err, want)
	}
	if !reflect.DeepEqual(store.asked, []string{"cloud-key", "hf-token", "lychd-phylactery-password"}) {
		t.Errorf("asked Podman about %q", store.asked)
	}
	if after := e.snapshot(t); !reflect.DeepEqual(before, after) {
		t.Errorf("a refused bind changed files")
	}

	store.have = map[string]bool{"cloud-key": true, "hf-token": true, "lychd-phylactery-password": true}
	if err := e.run(t); err != nil {
		t.Fatalf("bind with every secret present: %v\n%s", err, e.err)
	}
}

// TestBindWithoutPodmanWarns: without podman the secrets cannot be
// checked; bind says so and binds.
func TestBindWithoutPodmanWarns(t *testing.T) {
	e := newEnv(t, secretCodex)
	e.opts.Secrets = func() (podman.Secrets, error) { return nil, podman.ErrNoPodman }
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	want := "lychd: warning: podman is not on $PATH: the Podman secrets the units name (cloud-key, hf-token) were not checked; install Podman and run lychd doctor\n"
	if got := e.err.String(); got != want {
		t.Errorf("stderr:\n got: %q\nwant: %q", got, want)
	}
}
