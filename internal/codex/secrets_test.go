package codex

import (
	"reflect"
	"testing"

	"github.com/lychd/lychd/internal/model"
)

// TestSecrets: a soulstone's secrets keep their name, type and target; a
// portal's are files the Vessel reads.
func TestSecrets(t *testing.T) {
	c, err := Load(writeCodex(t, map[string]string{
		"soulstones/s.toml": `[s]
image = "x"
secrets = ["hf-token,type=env,target=HF_TOKEN", "tls.key", "ca,target=/etc/ca.pem"]
`,
		"portals/p.toml": `[p]
url = "https://api.example.com/v1"
secrets = ["openai-key"]
`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Secret{
		{Name: "hf-token", Type: "env", Target: "HF_TOKEN"},
		{Name: "tls.key", Type: "mount"},
		{Name: "ca", Type: "mount", Target: "/etc/ca.pem"},
	}
	if got := c.Runes[0].Secrets; !reflect.DeepEqual(got, want) {
		t.Errorf("soulstone secrets = %+v, want %+v", got, want)
	}
	if got := c.Animators[0].Secrets; !reflect.DeepEqual(got, []model.Secret{{Name: "openai-key", Type: "mount"}}) {
		t.Errorf("portal secrets = %+v", got)
	}
	var strs []string
	for _, s := range c.Runes[0].Secrets {
		strs = append(strs, s.String())
	}
	if !reflect.DeepEqual(strs, []string{"hf-token,type=env,target=HF_TOKEN", "tls.key", "ca,target=/etc/ca.pem"}) {
		t.Errorf("Secret= values = %q", strs)
	}
}

func TestBadSecrets(t *testing.T) {
	stone := func(secrets string) map[string]string {
		return map[string]string{"soulstones/s.toml": "[s]\nimage = \"x\"\nsecrets = " + secrets + "\n"}
	}
	for _, tc := range []struct{ name, secrets, want string }{
		{"string", `"hf"`, `soulstones/s.toml:3: s.secrets: expected an array of strings, found a string; write secrets = ["hf"]`},
		{"bad name", `["-x"]`, `soulstones/s.toml:3: s.secrets[0]: secret name "-x" does not start with a letter or digit; use 1 to 253 characters: a letter or digit, then letters, digits, "_", "." and "-" (e.g. "hf-token")`},
		{"value smuggled", `["hf,type=env,target=A\nB"]`, `soulstones/s.toml:3: s.secrets[0]: secret "hf,type=env,target=A\nB": target: environment variable name "A\nB" contains the character U+000A; use letters, digits and "_", not starting with a digit (e.g. "HF_HOME")`},
		{"unknown option", `["hf,uid=0"]`, `soulstones/s.toml:3: s.secrets[0]: secret "hf,uid=0" has option "uid=0"; the options are type= and target=; write "NAME", "NAME,target=PATH" or "NAME,type=env,target=VAR" (e.g. "hf-token,type=env,target=HF_TOKEN")`},
		{"env without target", `["hf,type=env"]`, `soulstones/s.toml:3: s.secrets[0]: secret "hf,type=env" has type=env but no target; name the variable, e.g. "hf,type=env,target=API_KEY"`},
		{"bad type", `["hf,type=file"]`, `soulstones/s.toml:3: s.secrets[0]: secret "hf,type=file" has type "file"; use type=mount (a file) or type=env (an environment variable)`},
		{"target twice", `["hf,target=a,target=b"]`, `soulstones/s.toml:3: s.secrets[0]: secret "hf,target=a,target=b" sets target twice; set it once`},
		{"dotdot", `["hf,target=../etc/x"]`, `soulstones/s.toml:3: s.secrets[0]: secret "hf,target=../etc/x": target: path "../etc/x" is not a clean file path; write it without "..", "//" or a trailing "/"`},
		{"space in path", `["hf,target=/a b"]`, `soulstones/s.toml:3: s.secrets[0]: secret "hf,target=/a b": target: path "/a b" contains a space; use letters, digits, "_", ".", "-" and "/", e.g. "/run/secrets/token" or "token"`},
		{"twice", `["hf", "hf"]`, `soulstones/s.toml:3: s.secrets[1]: "hf" is listed twice (also at s.secrets[0]); list it once`},
		{"alias", "x\n", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := stone(tc.secrets)
			if tc.name == "alias" {
				files = map[string]string{"soulstones/s.toml": "[s]\nimage = \"x\"\nsecret = [\"a\"]\n"}
				tc.want = `soulstones/s.toml:3: s.secret: unknown key; did you mean "secrets"?`
			}
			_, err := Load(writeCodex(t, files))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
	_, err := Load(writeCodex(t, map[string]string{"portals/p.toml": "[p]\nurl = \"https://a.org\"\nsecrets = [\"k,type=env,target=K\"]\n"}))
	want := `portals/p.toml:3: p.secrets[0]: a portal names a secret only: "k,type=env,target=K" has options; the Vessel reads the secret from the file /run/secrets/NAME, write "k"`
	if err == nil || err.Error() != want {
		t.Errorf("portal secret with options:\n got: %v\nwant: %s", err, want)
	}
}
