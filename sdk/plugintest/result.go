package plugintest

import (
	"fmt"
	"testing"

	"github.com/lychd/lychd/sdk"
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
// lychd uses: sdk.ValidateInfo, the limits, sdk.ValidateRune and
// sdk.ValidateAnimator on each registration, then validate.Registrations
// on the whole: no name twice, soulstone Animators served by a soulstone
// of the extension, and what lychd bind would refuse whatever the user's
// Codex holds (a rune named like a core rune, two runes that always run
// together on one port, a host port published twice, two runes with one
// unit). Each violation is reported with t.Error.
func Check(t testing.TB, r *Result) {
	t.Helper()
	report := func(err error) { t.Errorf("plugintest.Check: extension %s: %v", r.Info.Name, err) }
	if err := sdk.ValidateInfo(r.Info); err != nil {
		t.Errorf("plugintest.Check: %v", err)
	}
	if len(r.Runes) > sdk.MaxRunes {
		report(fmt.Errorf("registered more than %d runes; an extension may register at most %d", sdk.MaxRunes, sdk.MaxRunes))
	}
	if len(r.Animators) > sdk.MaxAnimators {
		report(fmt.Errorf("registered more than %d Animators; an extension may register at most %d", sdk.MaxAnimators, sdk.MaxAnimators))
	}
	runes := make([]validate.ExtensionRune, len(r.Runes))
	for i, ru := range r.Runes {
		if err := sdk.ValidateRune(ru); err != nil {
			report(err)
		}
		runes[i] = validate.ExtensionRune{Name: ru.Name, AlwaysOn: ru.Kind == sdk.AlwaysOn, Groups: ru.Groups, Port: ru.Port, ExposePort: ru.ExposePort, HostPort: ru.HostPort}
	}
	animators := make([]validate.ExtensionAnimator, len(r.Animators))
	for i, a := range r.Animators {
		if err := sdk.ValidateAnimator(a); err != nil {
			report(err)
		}
		animators[i] = validate.ExtensionAnimator{Name: a.Name, Rune: sdk.RuneFor(a)}
	}
	for _, err := range validate.Registrations(r.Info.Name, runes, animators) {
		report(err)
	}
}
