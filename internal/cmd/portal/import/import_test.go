package importcmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/cmd/cmdtest"
	"github.com/lychd/lychd/internal/golden"
)

// animatorsB is what `lychd animators --json` prints on host B.
const animatorsB = `[
  {"name": "qwen", "kind": "soulstone", "rune": "qwen", "capabilities": ["OpenAIChatCompletions"], "tags": ["reasoning", "tools"], "state": "active", "source": "soulstones/b.toml:1"},
  {"name": "whisper", "kind": "soulstone", "rune": "whisper", "capabilities": ["OpenAITranscriptions"], "tags": ["speech"], "state": "inactive", "source": "extension stt-organ"},
  {"name": "openai", "kind": "portal", "url": "https://api.openai.com/v1", "capabilities": ["OpenAIChatCompletions"], "tags": [], "state": "remote", "source": "portals/remote.toml:1"}
]
`

func run(t *testing.T, env *cmdtest.Env, stdin string, args ...string) (string, error) {
	t.Helper()
	env.Out.Reset()
	f := env.Factory()
	f.IO.In = strings.NewReader(stdin)
	cmd := NewCmd(f, nil)
	cmd.SetArgs(append([]string{}, args...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	return env.Out.String(), err
}

func TestImport(t *testing.T) {
	env := cmdtest.New(t)
	out, err := run(t, env, animatorsB, "-", "--url", "http://GPU-B.lan:7134/v1")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(env.Paths.CodexDir(), "portals", "gpu-b-lan.toml")
	if want := "Imported 2 Animators as portals into " + file + " (1 portal of the other host left out).\nRun \"lychd bind\" to make them Animators of this host.\n"; out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/gpu-b-lan.toml", data)

	// The Codex loads it, and a bind makes them Animators.
	env.Bind(t, nil)

	// Importing again replaces the file lychd wrote; an edited one is
	// left alone.
	if _, err := run(t, env, strings.Replace(animatorsB, `"tools"`, `"tools", "code"`, 1), "-", "--url", "http://GPU-B.lan:7134/v1"); err != nil {
		t.Fatalf("second import: %v", err)
	}
	if err := os.WriteFile(file, append(data, "# mine\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, env, animatorsB, "-", "--url", "http://GPU-B.lan:7134/v1")
	if want := "portal import: " + file + " exists and lychd did not write it as it is now (edited, or your own); move it away or choose another --prefix, then import again"; err == nil || err.Error() != want {
		t.Errorf("import over an edited file: %v\nwant %s", err, want)
	}
}

func TestImportErrors(t *testing.T) {
	env := cmdtest.New(t)
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{animatorsB, []string{"-"}, "--url is required: where this host reaches the other host's Dispatcher, e.g. --url http://gpu-b:7134/v1"},
		{animatorsB, []string{"-", "--url", "gpu-b:7134"}, `--url "gpu-b:7134": give an absolute http or https URL, e.g. --url http://gpu-b:7134/v1`},
		{animatorsB, []string{"-", "--url", "http://b", "--prefix", "B_"}, `--prefix "B_": portal names start with it, and name "B_x" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
		{"not json", []string{"-", "--url", "http://b"}, "portal import: - is not the output of `lychd animators --json` (invalid character 'o' in literal null (expecting 'u')); on the other host run: lychd animators --json > animators.json"},
		{"[]", []string{"-", "--url", "http://b"}, "portal import: - holds no soulstone Animator to import"},
	} {
		_, err := run(t, env, tc.stdin, tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v\nwant %s", tc.args, err, tc.want)
		}
	}
}
