package failure

import (
	"errors"
	"testing"
)

func TestErrorFormatAndSorting(t *testing.T) {
	a := &Error{Extension: "zeta", Msg: "exited while assimilating (exit status 3)", Stderr: []string{"boom", "bye"}}
	b := &Error{Extension: "al\x00pha", Msg: "failed"}
	err := Join([]*Error{a, b})
	want := "extension \"al\\x00pha\": failed\nextension \"zeta\": exited while assimilating (exit status 3)\n  last lines of its stderr:\n  | boom\n  | bye"
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Extension != "al\x00pha" {
		t.Errorf("errors.As found %+v", e)
	}
	if Join(nil) != nil {
		t.Error("Join(nil) is not nil")
	}
	if Join([]*Error{a}) != error(a) {
		t.Error("Join of one error is not that error")
	}
}

// A message of several lines (an extension's error, a panic's stack) keeps
// its later lines indented under its extension, so that they cannot be
// read as errors of their own.
func TestMultiLineMessagesAreIndented(t *testing.T) {
	a := &Error{Extension: "alpha", Msg: "failed while assimilating: first line\nsecond line\n\tframe (file.go:1)"}
	b := &Error{Extension: "beta", Msg: "failed", Stderr: []string{"boom"}}
	want := "extension \"alpha\": failed while assimilating: first line\n  second line\n  \tframe (file.go:1)\nextension \"beta\": failed\n  last lines of its stderr:\n  | boom"
	if got := Join([]*Error{a, b}).Error(); got != want {
		t.Errorf("error:\n%s\nwant:\n%s", got, want)
	}
}
