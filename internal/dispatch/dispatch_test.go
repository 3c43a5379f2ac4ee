package dispatch

import (
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/model"
)

func soul(name string, running bool, caps, tags string) Candidate {
	return Candidate{Animator: model.Animator{Name: name, Kind: model.AnimatorSoulstone, Rune: name,
		Capabilities: split(caps), Tags: split(tags)}, Running: running}
}

func portal(name, caps, tags string) Candidate {
	return Candidate{Animator: model.Animator{Name: name, Kind: model.AnimatorPortal, URL: "https://example.com",
		Capabilities: split(caps), Tags: split(tags)}}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func names(cs []Candidate) string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name)
	}
	return strings.Join(n, "+")
}

const chat = "OpenAIChatCompletions"

func TestPick(t *testing.T) {
	all := func(a, b string) bool { return true }
	hostile := func(pairs ...string) Compatible {
		return func(a, b string) bool {
			for i := 0; i < len(pairs); i += 2 {
				if (pairs[i] == a && pairs[i+1] == b) || (pairs[i] == b && pairs[i+1] == a) {
					return false
				}
			}
			return true
		}
	}
	cases := []struct {
		name   string
		cands  []Candidate
		q      Query
		compat Compatible
		want   string
		start  string
		reason string
		err    string
	}{
		{"one multi-tag rune beats two single-tag ones",
			[]Candidate{soul("llava", true, chat, "vision"), soul("tesseract", true, chat, "ocr"), soul("omni", false, chat, "vision,ocr")},
			Query{chat, []string{"vision", "ocr"}}, all, "omni", "omni",
			"omni alone covers capability OpenAIChatCompletions and tags vision+ocr; it needs omni started", ""},
		{"running preferred among equal covers",
			[]Candidate{soul("a", false, chat, "vision"), soul("b", true, chat, "vision")},
			Query{chat, []string{"vision"}}, all, "b", "",
			"b alone covers capability OpenAIChatCompletions and tags vision, and nothing needs to start (best of 2 covers of that size: fewest containers to start, then fewest containers)", ""},
		{"capability filters",
			[]Candidate{soul("omni", true, "TTS", "vision,ocr"), soul("llava", false, chat, "vision"), soul("tess", false, chat, "ocr")},
			Query{chat, []string{"vision", "ocr"}}, all, "llava+tess", "llava tess",
			"no single animator covers capability OpenAIChatCompletions and tags vision+ocr; llava + tess together do with 2; it needs llava, tess started", ""},
		{"hostile pair is not a cover",
			[]Candidate{soul("llava", false, chat, "vision"), soul("tess", false, chat, "ocr"), soul("tess2", false, chat, "ocr")},
			Query{chat, []string{"vision", "ocr"}}, hostile("llava", "tess"), "llava+tess2", "llava tess2", "", ""},
		{"portal needs nothing started",
			[]Candidate{soul("local", false, chat, "tools"), portal("remote", chat, "tools")},
			Query{chat, []string{"tools"}}, all, "remote", "", "", ""},
		{"nothing covers",
			[]Candidate{soul("llava", false, chat, "vision")},
			Query{chat, []string{"vision", "ocr"}}, all, "", "", "", "no set of animators that may run together covers capability OpenAIChatCompletions and tags vision+ocr"},
		{"no animator with capability",
			[]Candidate{soul("llava", false, chat, "vision")},
			Query{"TTS", nil}, all, "", "", "", "no animator has capability TTS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := Pick(tc.cands, tc.q, tc.compat)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(ch.Picked); got != tc.want {
				t.Errorf("picked %s, want %s", got, tc.want)
			}
			if got := strings.Join(ch.ToStart, " "); got != tc.start {
				t.Errorf("to start %q, want %q", got, tc.start)
			}
			if tc.reason != "" && ch.Reason != tc.reason {
				t.Errorf("reason:\n%s\nwant:\n%s", ch.Reason, tc.reason)
			}
		})
	}
}

func TestList(t *testing.T) {
	cands := []Candidate{soul("omni", false, chat, "vision,ocr"), soul("llava", false, chat, "vision"), portal("remote", "TTS", "")}
	if got := names(List(cands, Query{chat, []string{"vision"}})); got != "llava+omni" {
		t.Errorf("List = %s", got)
	}
	if got := names(List(cands, Query{"", []string{"ocr"}})); got != "omni" {
		t.Errorf("List = %s", got)
	}
	if got := names(List(cands, Query{})); got != "llava+omni+remote" {
		t.Errorf("List = %s", got)
	}
}
