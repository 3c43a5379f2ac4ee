package validate

import "testing"

func TestParseSecret(t *testing.T) {
	for _, tc := range []struct {
		in, canonical string
		want          SecretRef
	}{
		{"hf", "hf", SecretRef{Name: "hf", Type: SecretMount}},
		{"hf,type=mount", "hf", SecretRef{Name: "hf", Type: SecretMount}},
		{"hf,target=x/y", "hf,target=x/y", SecretRef{Name: "hf", Type: SecretMount, Target: "x/y"}},
		{"hf,target=/etc/k,type=mount", "hf,target=/etc/k", SecretRef{Name: "hf", Type: SecretMount, Target: "/etc/k"}},
		{"A.b_c-9,type=env,target=_T1", "A.b_c-9,type=env,target=_T1", SecretRef{Name: "A.b_c-9", Type: SecretEnv, Target: "_T1"}},
		{"hf,target=T,type=env", "hf,type=env,target=T", SecretRef{Name: "hf", Type: SecretEnv, Target: "T"}},
	} {
		got, err := ParseSecret(tc.in)
		if err != nil || got != tc.want || got.String() != tc.canonical {
			t.Errorf("ParseSecret(%q) = %+v (%q), %v; want %+v (%q)", tc.in, got, got.String(), err, tc.want, tc.canonical)
		}
	}
	for in, want := range map[string]string{
		"":                      `secret name is empty; use 1 to 253 characters: a letter or digit, then letters, digits, "_", "." and "-" (e.g. "hf-token")`,
		"hf,":                   `secret "hf," has option ""; the options are type= and target=; write "NAME", "NAME,target=PATH" or "NAME,type=env,target=VAR" (e.g. "hf-token,type=env,target=HF_TOKEN")`,
		"hf,target=":            `secret "hf,target=": target: the path is empty; use letters, digits, "_", ".", "-" and "/", e.g. "/run/secrets/token" or "token"`,
		"hf,target=/":           `secret "hf,target=/": target: path "/" is not a clean file path; write it without "..", "//" or a trailing "/"`,
		"hf,target=a//b":        `secret "hf,target=a//b": target: path "a//b" is not a clean file path; write it without "..", "//" or a trailing "/"`,
		"hf,type=env,target=1X": `secret "hf,type=env,target=1X": target: environment variable name "1X" does not start with a letter or "_"; use letters, digits and "_", not starting with a digit (e.g. "HF_HOME")`,
		"h f":                   `secret name "h f" contains a space; use 1 to 253 characters: a letter or digit, then letters, digits, "_", "." and "-" (e.g. "hf-token")`,
	} {
		if _, err := ParseSecret(in); err == nil || err.Error() != want {
			t.Errorf("ParseSecret(%q):\n got: %v\nwant: %s", in, err, want)
		}
	}
}
