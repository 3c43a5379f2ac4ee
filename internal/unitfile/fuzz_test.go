package unitfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// fuzzValue builds the Value a fuzz input describes: kind selects the
// constructor; Words and List split a on the unit separator \x1f.
func fuzzValue(k uint8, a, b string) (Value, []string) {
	switch k % 8 {
	case 7:
		return EnvSpecifier(a, b), nil
	case 6:
		return Word(a), nil
	case 0:
		return Literal(a), nil
	case 1:
		return Specifier(a), nil
	case 2:
		return Arg(a), nil
	case 3:
		w := strings.Split(a, "\x1f")
		return Words(w...), w
	case 4:
		return EnvAssign(a, b), nil
	default:
		w := strings.Split(a, "\x1f")
		return List(w...), w
	}
}

// FuzzRoundTrip checks that File.Bytes either refuses an entry or writes
// exactly the sections and entries it was given, each value reading back to
// what went in, with no line that Quadlet's or systemd's parser would join,
// trim or split differently.
func FuzzRoundTrip(f *testing.F) {
	f.Add("Container", "Exec", uint8(3), "sh\x1f-c\x1fecho \"$HOME\" 100%", "")
	f.Add("Container", "Environment", uint8(4), "A", "x y\nExecStartPre=/bin/evil")
	f.Add("Unit", "Description", uint8(0), "100% \"quoted\" ${X}", "")
	f.Add("Container", "Volume", uint8(1), "%h/.local/share/lychd:/data:Z", "")
	f.Add("Container", "Image", uint8(2), "docker.io/x/y:$TAG", "")
	f.Add("Unit", "After", uint8(5), "a.service\x1fb.target", "")
	f.Add("Service", "X]\n[Evil", uint8(0), "x", "")
	f.Add("Container", "AddDevice", uint8(6), "/dev/dri /etc/shadow", "")
	f.Add("Container", "AddDevice", uint8(6), "/dev/dri\"/x\"", "")
	f.Add("Container", "Volume", uint8(1), "%h/srv/${PATH}x:/d", "")
	f.Add("Container", "Environment", uint8(7), "HOME", "%h")
	f.Add("Container", "Environment", uint8(7), "A", "%h/a \"b\" $c 100%%\nExecStartPre=/bin/evil")
	f.Fuzz(func(t *testing.T, section, key string, k uint8, a, b string) {
		v, words := fuzzValue(k, a, b)
		file := New()
		file.Add("Unit", "Before", Literal("sentinel"))
		file.Add(section, key, v)
		file.Add("X-Sentinel", "After", Literal("sentinel"))
		data, err := file.Bytes()
		if err != nil {
			var ee *EntryError
			if !errors.As(err, &ee) {
				t.Fatalf("Bytes error %T is not an *EntryError: %v", err, err)
			}
			return
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			if line != strings.TrimSpace(line) {
				t.Fatalf("line %q has white space that Quadlet trims", line)
			}
			if strings.HasSuffix(line, `\`) {
				t.Fatalf("line %q ends in a backslash (a continuation for Quadlet)", line)
			}
			if strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
				t.Fatalf("line %q reads as a comment", line)
			}
		}
		p, err := Parse(data)
		if err != nil {
			t.Fatalf("Parse of Bytes output failed: %v\n%s", err, data)
		}
		// The exact sections and keys, nothing more.
		type sk struct{ s, k string }
		want := []sk{{"Unit", "Before"}, {section, key}, {"X-Sentinel", "After"}}
		var got []sk
		for _, s := range p.Sections() {
			for _, e := range s.Entries {
				got = append(got, sk{s.Name, e.Key})
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("entries %q, want %q\n%s", got, want, data)
		}
		raws := p.Get(section, key)
		raw := raws[0]
		if section == "Unit" && key == "Before" {
			raw = raws[1]
		}
		switch k % 8 {
		case 7:
			// Specifiers and "%%" pairs are written as given: reading the
			// value back undoes only the pairs, as systemd would before
			// expanding the specifiers.
			n, val, err := ParseEnvAssign(raw)
			if err != nil || n != a || val != UnescapeLiteral(b) {
				t.Fatalf("EnvSpecifier %q=%q came back as %q=%q, %v (raw %q)", a, b, n, val, err, raw)
			}
			if checkSpecifiers(b) != nil {
				t.Fatalf("EnvSpecifier %q=%q written although a '%%' starts no specifier", a, b)
			}
		case 6:
			// Quadlet splits Word keys on white space and unquotes them:
			// the raw value must be exactly one word with nothing to remove.
			if strings.ContainsAny(raw, " \t\r\n\"'\\") || UnescapeArg(raw) != a {
				t.Fatalf("Word %q written as %q", a, raw)
			}
		case 0:
			if back := UnescapeLiteral(raw); back != a {
				t.Fatalf("Literal %q came back as %q (raw %q)", a, back, raw)
			}
		case 1:
			if raw != strings.ReplaceAll(a, "$", "$$") {
				t.Fatalf("Specifier %q written as %q, want its '$' doubled", a, raw)
			}
		case 2:
			if back := UnescapeArg(raw); back != a {
				t.Fatalf("Arg %q came back as %q (raw %q)", a, back, raw)
			}
			if strings.HasPrefix(raw, `"`) || strings.HasSuffix(raw, `"`) {
				t.Fatalf("Arg raw %q starts or ends with a quote; Quadlet would strip it", raw)
			}
		case 3:
			back, err := SplitWords(raw)
			if err != nil || !reflect.DeepEqual(back, words) {
				t.Fatalf("Words %q came back as %q, %v (raw %q)", words, back, err, raw)
			}
		case 4:
			n, val, err := ParseEnvAssign(raw)
			if err != nil || n != a || val != b {
				t.Fatalf("EnvAssign %q=%q came back as %q=%q, %v (raw %q)", a, b, n, val, err, raw)
			}
		default:
			if back := strings.Fields(raw); !reflect.DeepEqual(back, words) {
				t.Fatalf("List %q came back as %q", words, back)
			}
		}
	})
}
