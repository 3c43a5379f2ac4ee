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
