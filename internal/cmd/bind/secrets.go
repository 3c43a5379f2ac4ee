package bind

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/podman"
)

// checkSecrets asks Podman for every secret m's units name and fails,
// naming each missing secret, who needs it and the command that creates
// it. Without podman on $PATH nothing can start the units; the secrets
// are not checked, and warn says so (lychd doctor reports the missing
// Podman).
func checkSecrets(ctx context.Context, store func() (podman.Secrets, error), m *model.Manifest, warn func(string)) error {
	names := m.SecretNames()
	if len(names) == 0 || store == nil {
		return nil
	}
	s, err := store()
	if errors.Is(err, podman.ErrNoPodman) {
		warn(fmt.Sprintf("podman is not on $PATH: the Podman secrets the units name (%s) were not checked; install Podman and run lychd doctor", strings.Join(names, ", ")))
		return nil
	}
	if err != nil {
		return err
	}
	var missing []string
	for _, name := range names {
		ok, err := s.Exists(ctx, name)
		if err != nil {
			return err
		}
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	users := secretUsers(m)
	var b strings.Builder
	if len(missing) == 1 {
		b.WriteString("a Podman secret the units need does not exist:")
	} else {
		fmt.Fprintf(&b, "%d Podman secrets the units need do not exist:", len(missing))
	}
	for _, name := range missing {
		if users[name].core {
			fmt.Fprintf(&b, "\n  %s (needed by %s): run lychd init, which creates it", name, strings.Join(users[name].who, ", "))
			continue
		}
		fmt.Fprintf(&b, "\n  %s (needed by %s): create it with\n      %s\n    and type the value, then Ctrl-D", name, strings.Join(users[name].who, ", "), podman.CreateCommand(name))
	}
	return errors.New(b.String())
}

type secretUser struct {
	who  []string
	core bool
}

// secretUsers says, for every secret, which runes and portals name it.
func secretUsers(m *model.Manifest) map[string]*secretUser {
	users := map[string]*secretUser{}
	add := func(name, who string, core bool) {
		u := users[name]
		if u == nil {
			u = &secretUser{}
			users[name] = u
		}
		u.who = append(u.who, who)
		u.core = u.core || core
	}
	for _, r := range m.SortedRunes() {
		for _, s := range r.Secrets {
			what := "soulstone"
			switch r.Kind {
			case model.KindCore:
				what = "core rune"
			case model.KindOneShot:
				what = "one-shot"
			}
			add(s.Name, fmt.Sprintf("%s %s (%s)", what, r.Name, r.Source), r.Source.Kind == model.SourceCore)
		}
	}
	for _, a := range m.Animators {
		for _, s := range a.Secrets {
			add(s.Name, fmt.Sprintf("portal %s (%s)", a.Name, a.Source), false)
		}
	}
	for _, u := range users {
		sort.Strings(u.who)
	}
	return users
}
