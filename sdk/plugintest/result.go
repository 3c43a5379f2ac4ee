package plugintest

import (
	"testing"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/validate"
)

// Rune returns the rune named name.
func (r *Result) Rune(name string) (sdk.Rune, bool) {
	for _, ru := range r.Runes {
		if ru.Name == name {
			return ru, true
		}
	}
	return sdk.Rune{}, false
}

// RequireRune returns the rune named name or fails the test, listing the
// runes that were registered.
func (r *Result) RequireRune(t testing.TB, name string) sdk.Rune {
	t.Helper()
	ru, ok := r.Rune(name)
	if !ok {
		t.Fatalf("plugintest: no rune %q registered; registered runes: %q", name, r.RuneNames())
	}
	return ru
}

// Animator returns the Animator named name.
func (r *Result) Animator(name string) (sdk.Animator, bool) {
	for _, a := range r.Animators {
		if a.Name == name {
			return a, true
		}
	}
	return sdk.Animator{}, false
}

// RequireAnimator returns the Animator named name or fails the test,
// listing the Animators that were registered.
func (r *Result) RequireAnimator(t testing.TB, name string) sdk.Animator {
	t.Helper()
	a, ok := r.Animator(name)
	if !ok {
		t.Fatalf("plugintest: no Animator %q registered; registered Animators: %q", name, r.AnimatorNames())
	}
	return a
}

// RuneNames lists the registered runes' names in registration order.
func (r *Result) RuneNames() []string {
	out := make([]string, len(r.Runes))
	for i, ru := range r.Runes {
		out[i] = ru.Name
	}
	return out
}

// AnimatorNames lists the registered Animators' names in registration
// order.
func (r *Result) AnimatorNames() []string {
	out := make([]string, len(r.Animators))
	for i, a := range r.Animators {
		out[i] = a.Name
	}
	return out
}

// Tagged returns the names of the Animators carrying tag, in registration
// order: the Animators lychd's Dispatcher may route an intent for tag to.
func (r *Result) Tagged(tag string) []string {
	var out []string
	for _, a := range r.Animators {
		for _, t := range a.Tags {
			if t == tag {
				out = append(out, a.Name)
				break
			}
		}
	}
	return out
}

// Check applies the contract every extension must meet, with the words
// lychd uses: sdk.ValidateInfo; sdk.ValidateSet, the rules lychd applies
// as the extension registers (each rune and Animator, the limits, no name
// twice, no two of its runes that always run together on one port, no host
// port twice, soulstone Animators served by a rune of the extension); then
// validate.Registrations, what lychd bind refuses once the core is beside
// it whatever the user's Codex holds (a port shared with a core rune, an
// Animator on an always-on rune); and every engine preset with the rules
// lychd applies to it (package preset). Each violation is reported with
// t.Error.
func Check(t testing.TB, r *Result) {
	t.Helper()
	report := func(err error) { t.Errorf("plugintest.Check: extension %s: %v", r.Info.Name, err) }
	if err := sdk.ValidateInfo(r.Info); err != nil {
		t.Errorf("plugintest.Check: %v", err)
	}
	if err := sdk.ValidateSet(r.Runes, r.Animators); err != nil {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				report(e)
			}
		} else {
			report(err)
		}
	}
	runes := make([]validate.ExtensionRune, len(r.Runes))
	for i, ru := range r.Runes {
		runes[i] = validate.ExtensionRune{Name: ru.Name, AlwaysOn: ru.Kind == sdk.AlwaysOn || ru.Kind == sdk.OneShot, Groups: ru.Groups, Port: ru.Port, ExposePort: ru.ExposePort, HostPort: ru.HostPort}
	}
	animators := make([]validate.ExtensionAnimator, len(r.Animators))
	for i, a := range r.Animators {
		animators[i] = validate.ExtensionAnimator{Name: a.Name, Rune: sdk.RuneFor(a)}
	}
	for _, err := range validate.Registrations(r.Info.Name, runes, animators) {
		report(err)
	}
	presets := sdk.NewRegistration(validate.FromExtension)
	for _, p := range r.Presets {
		if err := presets.AddPreset(p.Name, p.Preset); err != nil {
			report(err)
			break
		}
	}
}

// Preset returns the engine preset registered as name.
func (r *Result) Preset(name string) (preset.Preset, bool) {
	for _, p := range r.Presets {
		if p.Name == name {
			return p.Preset, true
		}
	}
	return preset.Preset{}, false
}
