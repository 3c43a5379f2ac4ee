package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk"
)

// testCore is a small in-process core extension.
type testCore struct{ panicNow bool }

func (testCore) Info() sdk.Info { return sdk.Info{Name: "core", Version: "0.9.0"} }

func (c testCore) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	if c.panicNow {
		panic("the core exploded")
	}
	if err := a.AddRune(ctx, sdk.Rune{Name: "vessel", Kind: sdk.AlwaysOn, Image: "ghcr.io/lychd/vessel:1", Port: 8000}); err != nil {
		return err
	}
	return a.RegisterAnimator(ctx, sdk.Animator{Name: "openai", Kind: sdk.AnimatorPortal, URL: "https://api.openai.com/v1", Capabilities: []string{"OpenAIChatCompletions"}})
}

const sharedRune = `{"Runes": [{"Name": "shared", "Image": "docker.io/library/alpine:3.20", "Groups": ["vision"], "Port": 8081, "Environment": {"B": "2", "A": "1"}}],
	"Animators": [{"Name": "shared", "Capabilities": ["OpenAIChatCompletions"], "Tags": ["vision"]}]}`

func TestAssimilateCoreAndExtensionsWithSources(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir := filepath.Join(tmp, "ext")
	plant(t, dir, "actor", "actor")
	plant(t, dir, "twin", "twin")
	res, err := Assimilate(context.Background(), Options{
		ExtensionsDir: dir,
		Core:          testCore{},
		Config:        map[string]json.RawMessage{"actor": json.RawMessage(sharedRune), "twin": json.RawMessage(sharedRune)},
	})
	if err != nil {
		t.Fatal(err)
	}
	shared := func(src string) model.Rune {
		return model.Rune{Name: "shared", Kind: model.KindSoulstone, Image: "docker.io/library/alpine:3.20", Groups: []string{"vision"}, Port: 8081,
			Environment: []model.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}},
			Source:      model.Source{Kind: model.SourceExtension, Name: src}}
	}
	wantRunes := []model.Rune{
		{Name: "vessel", Kind: model.KindCore, Image: "ghcr.io/lychd/vessel:1", Port: 8000, Source: model.Source{Kind: model.SourceCore, Name: "core"}},
		shared("actor"),
		shared("twin"),
	}
	if !reflect.DeepEqual(res.Runes, wantRunes) {
		t.Errorf("runes:\n%#v\nwant:\n%#v", res.Runes, wantRunes)
	}
	var got []string
	for _, a := range res.Animators {
		got = append(got, a.Name+" "+string(a.Kind)+" "+a.Rune+a.URL+" "+a.Source.String())
	}
	want := []string{"openai portal https://api.openai.com/v1 core", "shared soulstone shared extension actor", "shared soulstone shared extension twin"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("animators %q, want %q", got, want)
	}
	var stats []string
	for _, s := range res.Extensions {
		stats = append(stats, s.Name+" "+s.Version)
		if s.Name != "core" && (s.Launch <= 0 || s.Assimilation <= 0 || s.Cached) {
			t.Errorf("stats of %s: %+v, want launch and assimilation durations and no cache", s.Name, s)
		}
	}
	if want := []string{"core 0.9.0", "actor 1.0.0", "twin 2.0.0"}; !reflect.DeepEqual(stats, want) {
		t.Errorf("stats %q, want %q", stats, want)
	}
	noLeftovers(t, "", tmp)
}

func TestAssimilateReportsEveryFailureSortedByName(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir := filepath.Join(tmp, "ext")
	plant(t, dir, "twin", "twin")
	plant(t, dir, "actor", "actor")
	plant(t, dir, "noisy", "noisy")
	_, err := Assimilate(context.Background(), Options{
		ExtensionsDir: dir,
		Core:          testCore{panicNow: true},
		Config: map[string]json.RawMessage{
			"twin":  json.RawMessage(`{"Fail": "twin is broken"}`),
			"actor": json.RawMessage(`{"Fail": "actor is broken"}`),
		},
	})
	if err == nil {
		t.Fatal("Assimilate succeeded; want errors")
	}
	var names []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.HasPrefix(line, "extension ") {
			names = append(names, line[:strings.Index(line, ":")])
		}
	}
	want := []string{`extension "actor"`, `extension "core"`, `extension "noisy"`, `extension "twin"`}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("errors for %q, want %q; full error:\n%v", names, want, err)
	}
	if !strings.Contains(err.Error(), "extension \"core\": failed while assimilating: extension panicked in Assimilate: the core exploded") {
		t.Errorf("the core's panic is not reported as an error:\n%v", err)
	}
	noLeftovers(t, "", tmp)
}

func TestAssimilateMissingBinaryIsAnError(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "ext")
	bin := plant(t, dir, "actor", "actor")
	if err := os.Remove(bin); err != nil {
		t.Fatal(err)
	}
	_, err := Assimilate(context.Background(), Options{ExtensionsDir: dir})
	want := "extension \"actor\": its binary $DIR/actor/lychd-ext-actor is missing; reinstall it with: lychd extension install $EXT/actor"
	if err == nil || norm(t, err.Error(), dir, "$DIR") != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// The host does not sandbox extensions: they run with the user's rights,
// and installing one is the trust decision. This documents that an
// extension can write outside its directory, and that its working
// directory and environment are the host's minimal ones.
func TestExtensionsAreNotSandboxed(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir := filepath.Join(tmp, "ext")
	plant(t, dir, "actor", "actor")
	outside := filepath.Join(tmp, "outside.txt")
	_, err := Assimilate(context.Background(), Options{
		ExtensionsDir: dir,
		Config:        map[string]json.RawMessage{"actor": json.RawMessage(`{"WriteFile": "` + outside + `"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(outside); err != nil || string(data) != "written\n" {
		t.Errorf("file outside the extensions directory: %q, %v", data, err)
	}
}

func TestAssimilateDeadlineCoversExtensionsWaitingForASlot(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir := filepath.Join(tmp, "ext")
	plant(t, dir, "actor", "actor")
	plant(t, dir, "twin", "twin")
	hang := json.RawMessage(`{"Hang": true}`)
	start := time.Now()
	_, err := Assimilate(context.Background(), Options{
		ExtensionsDir: dir, Parallel: 1, Deadline: 3 * time.Second,
		Config: map[string]json.RawMessage{"actor": hang, "twin": hang},
	})
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("Assimilate took %v with a deadline of 3s", took)
	}
	want := "extension \"actor\": did not finish assimilating within the assimilation deadline of 3s and was killed; raise deadline_seconds in the [assimilation] table of lychd.toml if it is just slow\n" +
		"extension \"twin\": the assimilation deadline of 3s passed before it could be started; raise deadline_seconds in the [assimilation] table of lychd.toml if your extensions are just slow"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	noLeftovers(t, "", tmp)
}

// A successful extension is shut down gracefully: nothing is logged at
// warning level, and a child it forked (holding its pipes) is killed with
// its process group.
func TestSuccessfulExtensionEndsQuietlyWithItsChildren(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir := filepath.Join(tmp, "ext")
	plant(t, dir, "actor", "actor")
	plant(t, dir, "twin", "twin")
	marker := fmt.Sprintf("m%d", time.Now().UnixNano())
	var logs bytes.Buffer
	_, err := Assimilate(context.Background(), Options{
		ExtensionsDir: dir,
		Config:        map[string]json.RawMessage{"actor": json.RawMessage(`{"ForkStay": true, "Marker": "` + marker + `"}`)},
		Logger:        hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: &logs}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if logs.Len() > 0 {
		t.Errorf("a successful assimilation logged:\n%s", logs.String())
	}
	noLeftovers(t, marker, tmp)
}

func TestAssimilateWithoutExtensionsDirectory(t *testing.T) {
	t.Parallel()
	res, err := Assimilate(context.Background(), Options{ExtensionsDir: filepath.Join(tempDir(t), "none"), Core: testCore{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runes) != 1 || res.Runes[0].Name != "vessel" || len(res.Extensions) != 1 {
		t.Errorf("result %+v", res)
	}
	_, err = Assimilate(context.Background(), Options{ExtensionsDir: filepath.Join(tempDir(t), "none"), Only: []string{"vision"}})
	if want := `extension "vision" is not installed; see the installed ones with: lychd extension list`; err == nil || err.Error() != want {
		t.Errorf("Only an unknown extension: %v, want %s", err, want)
	}
}
