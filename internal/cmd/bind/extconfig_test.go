package bind

import (
	"strings"
	"testing"
)

// TestExtensionTablesPointAtLychdToml: a table an extension refuses is
// reported at the key's line of lychd.toml, with a "did you mean" for a
// misspelt key, and a table of an extension that is not installed is
// refused. Before, a misspelt key gave `decoding the extension's config
// table: unknown key "Rnues"` with no file or line, and a misspelt table
// name was ignored without a word.
func TestExtensionTablesPointAtLychdToml(t *testing.T) {
	e, _ := withActor(t)
	for _, tc := range []struct{ toml, want string }{
		{"[pod]\nuserns = \"keep-id\"\n\n[extensions.actor]\nCount = 0\nRnues = []\n",
			`extension "actor": lychd.toml:6: extensions.actor.Rnues: the extension has no such key; did you mean "Runes"? (its keys here: ` + actorKeys + `)`},
		{"[extensions.actor]\nRunes = [\n  { Name = \"x\", Image = \"docker.io/library/alpine:3.20\" },\n  { Name = \"y\", Imgae = \"docker.io/library/alpine:3.20\" },\n]\n",
			`extension "actor": lychd.toml:4: extensions.actor.Runes[1].Imgae: the extension has no such key; did you mean "Image"? (its keys here: ` + runeKeys + `)`},
		{"[extensions.actor]\nCount = \"three\"\n",
			`extension "actor": lychd.toml:2: extensions.actor.Count: got string, the extension expects int`},
		{"[extensions.actr]\nCount = 1\n",
			`lychd.toml:1: extensions.actr: no extension "actr" is installed; did you mean "actor"? Rename the table (installed: actor)`},
		{"[extensions.whisper-organ]\nmodel = \"x\"\n",
			`lychd.toml:1: extensions.whisper-organ: no extension "whisper-organ" is installed; install it, or delete the table if the extension was removed (installed: actor)`},
	} {
		e.writeCodex(t, map[string]string{"lychd.toml": tc.toml})
		err := e.run(t)
		if want := "bind: nothing was written:\nassimilation failed: " + tc.want; err == nil || err.Error() != want {
			t.Errorf("%s\n got: %v\nwant: %s", tc.toml, err, want)
		}
	}
}

// The keys of the actor's config table and of an sdk.Rune, as an unknown
// key's message lists them.
var (
	actorKeys = quoted("Animators BigFieldMB Count CrashGoroutine Exit Fail Fork ForkStay Hang IgnoreTerm Log Marker Panic Presets Print ReportProcess Runes Stderr Stdout WriteFile")
	runeKeys  = quoted("After Description Devices Environment Exec ExposePort Groups HealthCmd HostPort HostUser Image Kind Memory Name Port Requires Secrets ShmSize StartTimeout Volumes Wants")
)

func quoted(words string) string {
	fs := strings.Fields(words)
	for i, w := range fs {
		fs[i] = `"` + w + `"`
	}
	return strings.Join(fs, ", ")
}
