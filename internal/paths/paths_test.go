package paths

import "testing"

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	p, err := FromEnv(env(map[string]string{"HOME": "/home/m"}))
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		p.CodexDir():        "/home/m/.config/lychd",
		p.QuadletDir():      "/home/m/.config/containers/systemd",
		p.SystemdUserDir():  "/home/m/.config/systemd/user",
		p.ExtensionsDir():   "/home/m/.local/share/lychd/extensions",
		p.BindingsDir():     "/home/m/.local/share/lychd/bindings",
		p.CacheDir():        "/home/m/.cache/lychd",
		p.ExtensionLogDir(): "/home/m/.local/state/lychd/extension-logs",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	// XDG variables win; relative ones are ignored as the spec requires.
	p, err = FromEnv(env(map[string]string{"HOME": "/home/m", "XDG_CONFIG_HOME": "/cfg", "XDG_DATA_HOME": "relative"}))
	if err != nil {
		t.Fatal(err)
	}
	if p.CodexDir() != "/cfg/lychd" || p.DataDir() != "/home/m/.local/share/lychd" {
		t.Errorf("XDG handling: %s %s", p.CodexDir(), p.DataDir())
	}
	if _, err := FromEnv(env(map[string]string{})); err == nil || err.Error() != "HOME is not set to an absolute path; lychd derives all its paths from it" {
		t.Errorf("missing HOME: %v", err)
	}
}
