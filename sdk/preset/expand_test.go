package preset

import (
	"reflect"
	"testing"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"model": "Qwen/Qwen2.5-7B-Instruct", "port": "8081", "name": "qwen"}
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "--port", want: "--port"},
		{in: "{port}", want: "8081"},
		{in: "http://127.0.0.1:{port}/health", want: "http://127.0.0.1:8081/health"},
		{in: "{name}-{name}", want: "qwen-qwen"},
		{in: "{model}", want: "Qwen/Qwen2.5-7B-Instruct"},
		{in: `{{"key": "{name}"}}`, want: `{"key": "qwen"}`},
		{in: "{{port}}", want: "{port}"},
		{in: "", want: ""},
		{in: "{prot}", err: `"{prot}": uses the unknown placeholder {prot}; the placeholders are {model}, {port}, {name} and {model_args} (write {{ and }} for literal braces)`},
		{in: "{}", err: `"{}": uses the unknown placeholder {}; the placeholders are {model}, {port}, {name} and {model_args} (write {{ and }} for literal braces)`},
		{in: "{port", err: `"{port": has a "{" that is never closed; write {{ for a literal "{"`},
		{in: "port}", err: `"port}": has a "}" without a matching "{"; write }} for a literal "}"`},
		{in: "x{model_args}", err: `"x{model_args}": uses {model_args} inside a longer argument; {model_args} must be a whole exec argument on its own`},
		{in: "{model_args}", err: `"{model_args}": uses {model_args} inside a longer argument; {model_args} must be a whole exec argument on its own`},
	} {
		got, err := Expand(tc.in, vars)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("Expand(%q) error = %v\nwant %s", tc.in, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("Expand(%q): %v", tc.in, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("Expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// A known placeholder without a value names why.
	_, err := Expand("{model}", map[string]string{"port": "1"})
	if want := `"{model}": uses {model}, which has no value here (this preset takes no model: it has no [model] table)`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"--host", nil},
		{"{model_args}", []string{"model_args"}},
		{"{port}:{name}:{port}", []string{"name", "port"}},
		{"{{model}}", nil},
	} {
		got, err := Placeholders(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 && len(tc.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Placeholders(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
