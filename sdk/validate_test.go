package sdk_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lychd/lychd/sdk"
)

func TestValidateInfo(t *testing.T) {
	for _, tc := range []struct {
		info sdk.Info
		want string
	}{
		{sdk.Info{Name: "vision-organ", Version: "1.0.0", Description: "Vision"}, ""},
		{sdk.Info{Name: "vision-organ"}, ""},
		{sdk.Info{Name: "vIsion"}, `the extension's name is invalid: name "vIsion" has an upper-case letter; use "vision" instead`},
		{sdk.Info{Name: "core"}, `the extension calls itself "core", which is reserved for lychd's built-in extension; rename it`},
		{sdk.Info{Name: "x", Version: "1\n2"}, `version: description "1\n2" contains the control character U+000A; remove it (values must fit on one line)`},
	} {
		got := ""
		if err := sdk.ValidateInfo(tc.info); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("ValidateInfo(%+v):\n got %s\nwant %s", tc.info, got, tc.want)
		}
	}
}

func TestValidateRune(t *testing.T) {
	ok := sdk.Rune{Name: "a", Image: "busybox"}
	for _, tc := range []struct {
		edit func(*sdk.Rune)
		want string
	}{
		{func(r *sdk.Rune) {}, ""},
		{func(r *sdk.Rune) { r.Name = "a--b" }, `registered a rune with an invalid name: name "a--b" contains "--"; use single dashes between words`},
		{func(r *sdk.Rune) { r.Kind = sdk.AlwaysOn; r.Groups = []string{"g"} }, `rune "a": groups: an always-on rune belongs to no coven; remove its groups or make it a soulstone`},
		{func(r *sdk.Rune) { r.Devices = []string{"-nvidia.com/gpu=all"} }, `rune "a": devices: device "-nvidia.com/gpu=all" starts with "-"; Quadlet would treat it as an optional device path and drop it, remove the "-"`},
		{func(r *sdk.Rune) { r.Volumes = []string{"%h/x:/x"} }, `rune "a": volumes: volume "%h/x:/x" contains "%"; systemd specifiers are not allowed, write the absolute path out`},
		{func(r *sdk.Rune) { r.ExposePort = true }, `rune "a": the port is exposed but none is declared; declare the port the container listens on`},
		{func(r *sdk.Rune) { r.Port = 8080; r.HostPort = 18080 }, `rune "a": host port: a host port is set but the port is not exposed; expose the port to publish it on the host, or remove the host port`},
		{func(r *sdk.Rune) { r.HostPort = 70000 }, `rune "a": host port: port 70000 is out of range; use a number from 1 to 65535`},
		{func(r *sdk.Rune) { r.Environment = map[string]string{"1X": "y"} }, `rune "a": environment: environment variable name "1X" does not start with a letter or "_"; use letters, digits and "_", not starting with a digit (e.g. "HF_HOME")`},
		{func(r *sdk.Rune) { r.Exec = []string{strings.Repeat("x", sdk.MaxField)} }, `rune "a": exec: argument is 24576 bytes long; the limit is 8192 bytes (put longer text in a file and mount it)`},
		{func(r *sdk.Rune) {
			r.Exec = []string{strings.Repeat("x", 7000), strings.Repeat("y", 7000), strings.Repeat("z", 7000), strings.Repeat("w", 7000)}
		}, `rune "a": the rune's text adds up to 28008 bytes (name, description, image, every list entry and environment variable); the limit is 24576 bytes: put long text in a file and mount it`},
		{func(r *sdk.Rune) { r.Exec = make([]string, sdk.MaxList+1) }, `rune "a": exec: has 1001 entries; the limit is 1000`},
		{func(r *sdk.Rune) { r.Groups = make([]string, 33) }, `rune "a": groups: names 33 covens; a soulstone may belong to at most 32`},
	} {
		r := ok
		tc.edit(&r)
		got := ""
		if err := sdk.ValidateRune(r); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("ValidateRune(%.200q):\n got %s\nwant %s", fmt.Sprintf("%+v", r), got, tc.want)
		}
	}
}

func TestValidateSet(t *testing.T) {
	err := sdk.ValidateSet(
		[]sdk.Rune{{Name: "a", Image: "busybox"}, {Name: "a", Image: "busybox"}},
		[]sdk.Animator{
			{Name: "eye", Rune: "a", Capabilities: []string{"OpenAIChatCompletions"}},
			{Name: "ghost", Capabilities: []string{"TTS"}},
			{Name: "web", Kind: sdk.AnimatorPortal, Rune: "a", URL: "https://x"},
		})
	want := `registered rune "a" twice; give each rune its own name
Animator "web": a portal is served by a remote URL, not by rune "a"; remove the rune or make the Animator a soulstone
Animator "ghost" is served by rune "ghost", which this extension did not register; add the rune with AddRune or make the Animator a portal`
	if err == nil || err.Error() != want {
		t.Errorf("ValidateSet:\n got %v\nwant %s", err, want)
	}
}
