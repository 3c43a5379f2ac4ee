package registry

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk"
)

var src = model.Source{Kind: model.SourceExtension, Name: "vision-organ"}

func TestConvertsToTheModelWithSource(t *testing.T) {
	c := New(src)
	ctx := context.Background()
	r := sdk.Rune{Name: "analyzer", Image: "ghcr.io/x/analyzer:1", Groups: []string{"vision"}, After: []string{"lychd-soulstone-pre.service"},
		Port: 8081, ExposePort: true, Devices: []string{"nvidia.com/gpu=all"}, Volumes: []string{"models:/models:ro"},
		Environment: map[string]string{"Z": "1", "A": "2"}, Exec: []string{"--model", "/models/x"}, StartTimeout: 15 * time.Minute,
		Secrets: []string{"hf-token,type=env,target=HF_TOKEN", "ca,type=mount,target=/etc/ca.pem", "plain"}}
	if err := c.AddRune(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := c.AddRune(ctx, sdk.Rune{Name: "proxy", Kind: sdk.AlwaysOn, Image: "docker.io/library/caddy:2"}); err != nil {
		t.Fatal(err)
	}
	if err := c.RegisterAnimator(ctx, sdk.Animator{Name: "analyzer", Capabilities: []string{"OpenAIChatCompletions"}, Tags: []string{"vision"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.RegisterAnimator(ctx, sdk.Animator{Name: "remote", Kind: sdk.AnimatorPortal, URL: "https://api.example.com/v1", Capabilities: []string{"OpenAIChatCompletions"}, Secrets: []string{"remote-key"}}); err != nil {
		t.Fatal(err)
	}
	runes, anims, err := c.Result()
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Rune{
		{Name: "analyzer", Kind: model.KindSoulstone, Image: "ghcr.io/x/analyzer:1", Groups: []string{"vision"}, After: []string{"lychd-soulstone-pre.service"},
			Port: 8081, ExposePort: true, Devices: []string{"nvidia.com/gpu=all"}, Volumes: []string{"models:/models:ro"},
			Environment: []model.EnvVar{{Name: "A", Value: "2"}, {Name: "Z", Value: "1"}}, Exec: []string{"--model", "/models/x"}, StartTimeout: 15 * time.Minute, Source: src,
			Secrets: []model.Secret{{Name: "hf-token", Type: "env", Target: "HF_TOKEN"}, {Name: "ca", Type: "mount", Target: "/etc/ca.pem"}, {Name: "plain", Type: "mount"}}},
		{Name: "proxy", Kind: model.KindCore, Image: "docker.io/library/caddy:2", Source: src},
	}
	normalize := func(rs []model.Rune) {
		for i := range rs {
			for _, p := range []*[]string{&rs[i].Groups, &rs[i].After, &rs[i].Wants, &rs[i].Requires, &rs[i].Devices, &rs[i].Volumes, &rs[i].Exec} {
				if *p == nil {
					*p = []string{}
				}
			}
		}
	}
	normalize(runes)
	normalize(want)
	if !reflect.DeepEqual(runes, want) {
		t.Errorf("runes:\n%#v\nwant:\n%#v", runes, want)
	}
	wantA := []model.Animator{
		{Name: "analyzer", Kind: model.AnimatorSoulstone, Rune: "analyzer", Capabilities: []string{"OpenAIChatCompletions"}, Tags: []string{"vision"}, Source: src},
		{Name: "remote", Kind: model.AnimatorPortal, URL: "https://api.example.com/v1", Capabilities: []string{"OpenAIChatCompletions"}, Tags: []string{}, Source: src,
			Secrets: []model.Secret{{Name: "remote-key", Type: "mount"}}},
	}
	if anims[1].Tags == nil {
		anims[1].Tags = []string{}
	}
	if !reflect.DeepEqual(anims, wantA) {
		t.Errorf("animators:\n%#v\nwant:\n%#v", anims, wantA)
	}
}

func TestRefusalsStick(t *testing.T) {
	ctx := context.Background()
	img := "docker.io/library/alpine:3.20"
	cases := []struct {
		name string
		do   func(c *Collector) error
		want string
	}{
		{"duplicate rune", func(c *Collector) error {
			c.AddRune(ctx, sdk.Rune{Name: "a", Image: img})
			return c.AddRune(ctx, sdk.Rune{Name: "a", Image: img})
		}, `registered rune "a" twice; give each rune its own name`},
		{"huge field", func(c *Collector) error {
			return c.AddRune(ctx, sdk.Rune{Name: "a", Image: img, Description: strings.Repeat("x", 70000)})
		}, `rune "a": description is 70000 bytes long; keep it to one line of at most 1024 bytes`},
		{"a 1 MiB rune", func(c *Collector) error {
			return c.AddRune(ctx, sdk.Rune{Name: "a", Image: img, Environment: map[string]string{"A": strings.Repeat("x", 1<<20)}})
		}, `rune "a": environment A: value is 1048576 bytes long; the limit is 8192 bytes (put longer text in a file and mount it)`},
		{"registration too large", func(c *Collector) error {
			var err error
			for i := 0; err == nil; i++ {
				err = c.AddRune(ctx, sdk.Rune{Name: "r" + strconv.Itoa(i), Image: img, Groups: []string{"g"}, Exec: []string{strings.Repeat("x", 8000), strings.Repeat("y", 8000), strings.Repeat("z", 8000)}})
			}
			return err
		}, `rune "r43": with it the registration's text adds up to 1057442 bytes; an extension may register at most 1048576 bytes`},
		{"too many covens", func(c *Collector) error {
			var err error
			for i := 0; err == nil; i++ {
				err = c.AddRune(ctx, sdk.Rune{Name: "r" + strconv.Itoa(i), Image: img})
			}
			return err
		}, `rune "r500": this soulstone's covens make 501 covens; lychd supports at most 500 (a soulstone without groups is a coven of its own): put soulstones that take turns on the same hardware in shared covens`},
		{"too many runes", func(c *Collector) error {
			var err error
			for i := 0; i <= sdk.MaxRunes && err == nil; i++ {
				err = c.AddRune(ctx, sdk.Rune{Name: "r" + strconv.Itoa(i), Image: img, Groups: []string{"g"}})
			}
			return err
		}, "registered more than 1000 runes; an extension may register at most 1000"},
		{"start timeout not whole seconds", func(c *Collector) error {
			return c.AddRune(ctx, sdk.Rune{Name: "a", Image: img, StartTimeout: 1500 * time.Millisecond})
		}, `rune "a": start timeout 1.5s is not a whole number of seconds from 1s to 24h; pulling the image on first start counts, so allow for it (e.g. 15m)`},
		{"always-on rune called pod", func(c *Collector) error {
			return c.AddRune(ctx, sdk.Rune{Name: "pod", Kind: sdk.AlwaysOn, Image: img})
		}, `registered a rune with an invalid name: name "pod" would give the always-on rune the unit lychd-pod.service, which is the pod's own; pick another name`},
		{"rune called like a core rune", func(c *Collector) error {
			return c.AddRune(ctx, sdk.Rune{Name: "vessel", Image: img})
		}, `registered a rune with an invalid name: name "vessel" is taken by one of lychd's core runes (vessel, phylactery, oculus, migrate); pick another name`},
		{"AlwaysOn with groups", func(c *Collector) error {
			return c.AddRune(ctx, sdk.Rune{Name: "a", Kind: sdk.AlwaysOn, Image: img, Groups: []string{"g"}})
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(src)
			err := tc.do(c)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != "" && err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
			if _, _, rerr := c.Result(); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("Result error %v, want the first refusal %v", rerr, err)
			}
			if err := c.AddRune(ctx, sdk.Rune{Name: "later", Image: img}); err == nil || !strings.HasPrefix(err.Error(), "registration refused after an earlier error: ") {
				t.Errorf("registration after a refusal: %v", err)
			}
		})
	}
}

func TestSoulstoneAnimatorNeedsItsRune(t *testing.T) {
	c := New(src)
	ctx := context.Background()
	if err := c.RegisterAnimator(ctx, sdk.Animator{Name: "vision", Rune: "vlm", Capabilities: []string{"OpenAIChatCompletions"}}); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.Result()
	want := `Animator "vision" is served by rune "vlm", which this extension did not register; add the rune with AddRune or make the Animator a portal`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
