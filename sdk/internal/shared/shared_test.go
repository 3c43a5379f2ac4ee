package shared

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeConfig(t *testing.T) {
	type cfg struct {
		Model string `json:"model"`
		N     int    `json:"n"`
	}
	for _, tc := range []struct {
		raw  string
		want string // error text, "" for success
		got  cfg
	}{
		{raw: "", got: cfg{Model: "keep"}},
		{raw: " null ", got: cfg{Model: "keep"}},
		{raw: `{"model":"m","n":2}`, got: cfg{Model: "m", N: 2}},
		{raw: `{"n":1.5}`, want: `decoding the extension's config table: key "n": got number 1.5, the extension expects int`},
		{raw: `["a"]`, want: `decoding the extension's config table: got array for the whole table, the extension expects shared.cfg`},
		{raw: `{"model":"m"} {"n":1}`, want: `decoding the extension's config table: trailing data after the table`},
		{raw: `{"model":`, want: `decoding the extension's config table: unexpected EOF`},
	} {
		v := cfg{Model: "keep"}
		err := DecodeConfig([]byte(tc.raw), &v)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("DecodeConfig(%q) error:\n got %s\nwant %s", tc.raw, got, tc.want)
		}
		if tc.want == "" && v != tc.got {
			t.Errorf("DecodeConfig(%q) = %+v, want %+v", tc.raw, v, tc.got)
		}
	}
	if err := DecodeConfig([]byte(`{}`), (*cfg)(nil)); err == nil || err.Error() != "the config table can only be decoded into a non-nil pointer, got *shared.cfg" {
		t.Errorf("nil pointer: %v", err)
	}
}

func panicky() error { panic(errors.New("kaboom")) }

func TestGuard(t *testing.T) {
	if err := Guard("Info", func() error { return errors.New("plain") }); err == nil || err.Error() != "plain" {
		t.Errorf("Guard passed %v through, want plain", err)
	}
	err := Guard("Assimilate", panicky)
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Guard returned %T, want *PanicError", err)
	}
	if pe.Method != "Assimilate" || pe.Value != "kaboom" {
		t.Errorf("PanicError = %+v", pe)
	}
	if len(pe.Frames) == 0 || !strings.HasPrefix(pe.Frames[0], "github.com/lychd/lychd/sdk/internal/shared.panicky (") {
		t.Errorf("first frame = %q, want panicky", pe.Frames)
	}
	for _, f := range pe.Frames {
		if strings.Contains(f, "shared.Guard") || strings.HasPrefix(f, "runtime.") {
			t.Errorf("frame %q is recovery machinery", f)
		}
	}
	if !strings.HasPrefix(err.Error(), "extension panicked in Assimilate: kaboom\n\tgithub.com/lychd/lychd/sdk/internal/shared.panicky (") {
		t.Errorf("Error() = %q", err.Error())
	}
}
