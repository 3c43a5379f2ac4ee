package tail

import (
	"reflect"
	"strings"
	"testing"
)

func TestLinesKeepsTheTailAndRendersJSON(t *testing.T) {
	b := New(200)
	b.Write([]byte(strings.Repeat("old line\n", 50)))
	b.Write([]byte(`{"@level":"debug","@message":"plugin address","address":"/tmp/p1"}` + "\n"))
	b.Write([]byte(`{"@level":"error","@message":"Assimilate failed","error":"boom"}` + "\n"))
	b.Write([]byte("panic: runtime error\n\ngoroutine 1"))
	got := b.Lines(3)
	want := []string{"old line", `[ERROR] Assimilate failed error="boom"`, "panic: runtime error", "goroutine 1"}[1:]
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Lines(3) = %q, want %q", got, want)
	}
	if len(b.buf) > 200 {
		t.Fatalf("buffer holds %d bytes, limit 200", len(b.buf))
	}
}

func TestLinesDropsPartialFirstLineAfterTruncation(t *testing.T) {
	b := New(10)
	b.Write([]byte("abcdefgh\nij\nkl"))
	if got, want := b.Lines(5), []string{"ij", "kl"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Lines = %q, want %q", got, want)
	}
	b.Write([]byte(strings.Repeat("z", 50)))
	if got, want := b.Lines(5), []string{"…zzzzzzzzzz"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Lines after one overlong write = %q, want %q", got, want)
	}
}
