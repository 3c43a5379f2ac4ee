package unitfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestBytesLayout(t *testing.T) {
	f := New()
	f.Add("Unit", "Description", Literal("a"))
	f.Add("Container", "Image", Arg("img"))
	f.Add("Unit", "After", List("x.service", "y.target"))
	f.Add("Container", "Exec", Words("sh", "-c", "echo hi"))
	got, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := "[Unit]\nDescription=a\nAfter=x.service y.target\n\n[Container]\nImage=img\nExec=sh -c \"echo hi\"\n"
	if string(got) != want {
		t.Errorf("Bytes:\n%s\nwant:\n%s", got, want)
	}
	if got2, _ := f.Bytes(); string(got2) != string(got) {
		t.Error("Bytes is not deterministic")
	}
	if got, err := New().Bytes(); err != nil || len(got) != 0 {
		t.Errorf("empty file: %q, %v", got, err)
	}
}

func TestEncoding(t *testing.T) {
	cases := []struct {
		name string
		v    Value
		want string
	}{
		{"literal percent", Literal("100% %h"), "100%% %%h"},
		{"literal keeps dollar and quotes", Literal(`"$HOME" ${X} a\b`), `"$HOME" ${X} a\b`},
		{"literal empty", Literal(""), ""},
		{"specifier", Specifier("%h/.local/share/lychd:/data:Z"), "%h/.local/share/lychd:/data:Z"},
		{"specifier double percent", Specifier("%%h 100%%"), "%%h 100%%"},
		{"specifier dollar", Specifier("%h/srv/${PATH}x:/d$X"), "%h/srv/$${PATH}x:/d$$X"},
		{"word", Word("/dev/dri:/dev/dri:rw"), "/dev/dri:/dev/dri:rw"},
		{"word expansions", Word("a%b$c"), "a%%b$$c"},
		{"arg", Arg("h${X}%y $$"), "h$${X}%%y $$$$"},
		{"arg inner quote", Arg(`a"b`), `a"b`},
		{"words bare", Words("a", "b=c", "a;b", "✓"), "a b=c a;b ✓"},
		{"words quoted", Words("a b", `q"x`, `it's`, `x\y`, "t\tn\nr\r", "\x01\x7f", "nb\u00a0"), `"a b" "q\"x" "it's" "x\\y" "t\tn\nr\r" "\x01\x7f" "nb` + "\u00a0" + `"`},
		{"words expansions", Words("%h", "$X", "${Y}", "a b$%"), `%%h $$X $${Y} "a b$$%%"`},
		{"words bell etc", Words("\a\b\f\v"), `"\a\b\f\v"`},
		{"env plain", EnvAssign("A", "b"), "A=b"},
		{"env empty", EnvAssign("A", ""), "A="},
		{"env quoted", EnvAssign("_x1", `a "b" $c %d`), `"_x1=a \"b\" $$c %%d"`},
		{"env newline", EnvAssign("A", "1\nB=2"), `"A=1\nB=2"`},
		{"env specifier", EnvSpecifier("HOME", "%h"), "HOME=%h"},
		{"env specifier path", EnvSpecifier("XDG_DATA_HOME", "%h/.local/share"), "XDG_DATA_HOME=%h/.local/share"},
		{"env specifier quoted", EnvSpecifier("A", `%h/my dir "x" $Y 100%%`), `"A=%h/my dir \"x\" $$Y 100%%"`},
		{"list", List("a.service", "b@c.target", "x-y_z:1"), "a.service b@c.target x-y_z:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, p := c.v.encode()
			if p != nil {
				t.Fatalf("encode: %s; %s", p.what, p.fix)
			}
			if got != c.want {
				t.Errorf("encode = %s, want %s", got, c.want)
			}
		})
	}
}

func TestBytesErrors(t *testing.T) {
	cases := []struct {
		name, section, key string
		v                  Value
		want               string
	}{
		{"bad section", "Con tainer", "Image", Literal("x"),
			`unitfile: section name "Con tainer": invalid section name; use an ASCII letter followed by letters, digits or '-' (e.g. Container, X-Lychd)`},
		{"section with bracket", "A]\n[B", "Image", Literal("x"),
			`unitfile: section name "A]\n[B": invalid section name; use an ASCII letter followed by letters, digits or '-' (e.g. Container, X-Lychd)`},
		{"key with equals", "Container", "Exec=x", Literal("x"),
			`unitfile: [Container] key name "Exec=x": invalid key name; use an ASCII letter followed by letters, digits or '-' (never '=' or white space)`},
		{"empty key", "Container", "", Literal("x"),
			`unitfile: [Container] key name "": invalid key name; use an ASCII letter followed by letters, digits or '-' (never '=' or white space)`},
		{"literal newline", "Unit", "Description", Literal("a\nExecStart=/bin/evil"),
			`unitfile: [Unit] Description=: Literal "a\nExecStart=/bin/evil": value contains control character U+000A, which could end the line or be mangled; remove control characters (newline, CR, tab, NUL, ...)`},
		{"literal CR", "Unit", "Description", Literal("a\rb"),
			`unitfile: [Unit] Description=: Literal "a\rb": value contains control character U+000D, which could end the line or be mangled; remove control characters (newline, CR, tab, NUL, ...)`},
		{"literal NUL", "Unit", "Description", Literal("a\x00"),
			`unitfile: [Unit] Description=: Literal "a\x00": value contains control character U+0000, which could end the line or be mangled; remove control characters (newline, CR, tab, NUL, ...)`},
		{"literal C1", "Unit", "Description", Literal("a\u0085b"),
			`unitfile: [Unit] Description=: Literal "a\u0085b": value contains control character U+0085, which could end the line or be mangled; remove control characters (newline, CR, tab, NUL, ...)`},
		{"literal invalid utf8", "Unit", "Description", Literal("a\xffb"),
			`unitfile: [Unit] Description=: Literal "a\xffb": value is not valid UTF-8; pass UTF-8 text`},
		{"literal leading space", "Unit", "Description", Literal(" a"),
			`unitfile: [Unit] Description=: Literal " a": value has leading or trailing white space, which Quadlet and systemd strip; trim the value`},
		{"literal trailing nbsp", "Unit", "Description", Literal("a\u00a0"),
			`unitfile: [Unit] Description=: Literal "a\u00a0": value has leading or trailing white space, which Quadlet and systemd strip; trim the value`},
		{"literal trailing backslash", "Unit", "Description", Literal(`a\\`),
			`unitfile: [Unit] Description=: Literal "a\\\\": value ends in a backslash, which Quadlet and systemd read as a line continuation; remove the trailing backslash`},
		{"specifier lone percent", "Container", "Volume", Specifier("%h/100%"),
			`unitfile: [Container] Volume=: Specifier "%h/100%": '%' at byte 6 does not start a systemd specifier; write a specifier such as %h, or '%%' for a literal percent sign`},
		{"arg quoted", "Container", "Image", Arg(`"img"`),
			`unitfile: [Container] Image=: Arg "\"img\"": value starts or ends with a double quote, which Quadlet strips from single-value keys; remove the leading and trailing quotes`},
		{"arg leading quote", "Container", "Image", Arg(`"img`),
			`unitfile: [Container] Image=: Arg "\"img": value starts or ends with a double quote, which Quadlet strips from single-value keys; remove the leading and trailing quotes`},
		{"arg trailing quote", "Container", "ContainerName", Arg(`abc"`),
			`unitfile: [Container] ContainerName=: Arg "abc\"": value starts or ends with a double quote, which Quadlet strips from single-value keys; remove the leading and trailing quotes`},
		{"word space", "Container", "AddDevice", Word("/dev/dri /etc/shadow"),
			`unitfile: [Container] AddDevice=: Word "/dev/dri /etc/shadow": ' ' at byte 8: Quadlet splits this key on white space and removes quotes and backslashes; pass a single word without white space, quotes or backslashes`},
		{"word quote", "Container", "AddDevice", Word(`/dev/dri"/x"`),
			`unitfile: [Container] AddDevice=: Word "/dev/dri\"/x\"": '"' at byte 8: Quadlet splits this key on white space and removes quotes and backslashes; pass a single word without white space, quotes or backslashes`},
		{"word backslash", "Container", "AddDevice", Word(`/dev/a\x20b`),
			`unitfile: [Container] AddDevice=: Word "/dev/a\\x20b": '\\' at byte 6: Quadlet splits this key on white space and removes quotes and backslashes; pass a single word without white space, quotes or backslashes`},
		{"word empty", "Container", "AddDevice", Word(""),
			`unitfile: [Container] AddDevice=: Word "": empty word (an empty value resets the key); leave the entry out`},
		{"words empty word", "Container", "Exec", Words("a", "", "b"),
			`unitfile: [Container] Exec=: Words word 1 "": empty word: Quadlet 5.4 drops an empty argument together with every argument after it; leave the argument out or use a non-empty placeholder`},
		{"words semicolon", "Container", "Exec", Words("a", ";", "b"),
			`unitfile: [Container] Exec=: Words word 1 ";": the word ";": Quadlet 5.4 writes it unquoted into ExecStart=, where systemd reads it as a command separator; attach it to a neighbouring word (e.g. "--sep=;")`},
		{"words NUL", "Container", "Exec", Words("a\x00"),
			`unitfile: [Container] Exec=: Words word 0 "a\x00": contains NUL, which cannot be passed in an argument; remove the NUL byte`},
		{"words C1", "Container", "Exec", Words("\u0080"),
			`unitfile: [Container] Exec=: Words word 0 "\u0080": contains C1 control character U+0080, which Quadlet re-escapes wrongly; remove the control character`},
		{"words none", "Container", "Exec", Words(),
			`unitfile: [Container] Exec=: Words "": no words (an empty value resets the key); pass at least one word or leave the entry out`},
		{"env bad name", "Container", "Environment", EnvAssign("1A", "x"),
			`unitfile: [Container] Environment=: EnvAssign 1A: environment variable name must match [A-Za-z_][A-Za-z0-9_]*; rename the variable`},
		{"env name with equals", "Container", "Environment", EnvAssign("A=B", "x"),
			`unitfile: [Container] Environment=: EnvAssign A=B: environment variable name must match [A-Za-z_][A-Za-z0-9_]*; rename the variable`},
		{"env specifier lone percent", "Container", "Environment", EnvSpecifier("HOME", "%h/100%"),
			`unitfile: [Container] Environment=: EnvSpecifier HOME value "%h/100%": '%' at byte 6 does not start a systemd specifier; write a specifier such as %h, or '%%' for a literal percent sign`},
		{"env specifier bad name", "Container", "Environment", EnvSpecifier("1A", "%h"),
			`unitfile: [Container] Environment=: EnvSpecifier 1A: environment variable name must match [A-Za-z_][A-Za-z0-9_]*; rename the variable`},
		{"env NUL", "Container", "Environment", EnvAssign("A", "\x00"),
			`unitfile: [Container] Environment=: EnvAssign A value "\x00": contains NUL, which cannot be passed in an argument; remove the NUL byte`},
		{"list bad item", "Unit", "After", List("a.service", "b c"),
			`unitfile: [Unit] After=: List item 1 "b c": list items must be non-empty and use only ASCII letters, digits and ":_.@-"; use a plain unit name`},
		{"list empty", "Unit", "After", List(),
			`unitfile: [Unit] After=: List "": empty list (an empty value resets the key); leave the entry out`},
		{"zero value", "Unit", "After", Value{},
			`unitfile: [Unit] After=: invalid "": zero Value; build values with Literal, Specifier, Arg, Word, Words, EnvAssign, EnvSpecifier or List`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := New()
			f.Add(c.section, c.key, c.v)
			out, err := f.Bytes()
			if err == nil {
				t.Fatalf("Bytes succeeded: %q", out)
			}
			if err.Error() != c.want {
				t.Errorf("error:\n got %s\nwant %s", err, c.want)
			}
			var ee *EntryError
			if !errors.As(err, &ee) || ee.Section != c.section {
				t.Errorf("error %T is not an *EntryError for section %q", err, c.section)
			}
		})
	}
}

func TestBytesDuplicateEnv(t *testing.T) {
	f := New()
	f.Add("Container", "Environment", EnvAssign("A", "1"))
	f.Add("Container", "Environment", EnvAssign("B", "1"))
	f.Add("Container", "Environment", EnvAssign("A", "2"))
	_, err := f.Bytes()
	want := `unitfile: [Container] Environment=: EnvAssign A: variable assigned twice; Quadlet keeps only the last assignment; assign each variable once`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	// The two kinds share one namespace: Quadlet sees the same name.
	f = New()
	f.Add("Container", "Environment", EnvAssign("HOME", "/x"))
	f.Add("Container", "Environment", EnvSpecifier("HOME", "%h"))
	_, err = f.Bytes()
	want = `unitfile: [Container] Environment=: EnvSpecifier HOME: variable assigned twice; Quadlet keeps only the last assignment; assign each variable once`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestLineLimit(t *testing.T) {
	f := New()
	f.Add("Unit", "Description", Literal(strings.Repeat("x", MaxLineBytes-len("Description="))))
	if _, err := f.Bytes(); err != nil {
		t.Fatalf("line of exactly MaxLineBytes: %v", err)
	}
	f = New()
	f.Add("Unit", "Description", Literal(strings.Repeat("x", MaxLineBytes)))
	_, err := f.Bytes()
	want := `unitfile: [Unit] Description=: Literal (65548 bytes): line longer than 65536 bytes; split the value, e.g. with AddWrapped for lists`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestAddWrapped(t *testing.T) {
	f := New()
	f.AddWrapped("Unit", "After", 20, "a.service", "b.service", "c.service", "a-very-long-name.service", "d")
	f.AddWrapped("Unit", "Wants", 0) // nothing
	got, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := "[Unit]\nAfter=a.service\nAfter=b.service\nAfter=c.service\nAfter=a-very-long-name.service\nAfter=d\n"
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	f = New()
	f.AddWrapped("Unit", "Conflicts", 30, "a.service", "b.service", "c.service", "d.service")
	got, _ = f.Bytes()
	want = "[Unit]\nConflicts=a.service b.service\nConflicts=c.service d.service\n"
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		if len(line) > 30 {
			t.Errorf("line %q longer than 30 bytes", line)
		}
	}
	// Default width: many names fit under MaxLineBytes in few lines.
	var names []string
	for i := 0; i < 5000; i++ {
		names = append(names, "lychd-soulstone-"+strings.Repeat("x", 20)+".service")
	}
	f = New()
	f.AddWrapped("Unit", "Conflicts", 0, names...)
	got, err = f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	var back []string
	for _, v := range p.Get("Unit", "Conflicts") {
		back = append(back, strings.Fields(v)...)
	}
	if !reflect.DeepEqual(back, names) {
		t.Errorf("wrapped list did not round-trip (%d names back, want %d)", len(back), len(names))
	}
	if n := len(p.Get("Unit", "Conflicts")); n != 4 {
		t.Errorf("%d Conflicts= lines, want 4", n)
	}
}

func TestParse(t *testing.T) {
	in := "# comment\n; other comment\n\n[Unit]\nDescription = spaced value  \r\nAfter=a \\\n# skipped comment\n  b\\\n; skipped too\nc\n\n[Service]\nExecStart=/bin/x \\\\\nEmpty=\n[Unit]\nAfter=d\nLast=x\\"
	p, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Section{
		{Name: "Unit", Entries: []Entry{{"Description", "spaced value"}, {"After", "a    b c"}, {"After", "d"}, {"Last", "x"}}},
		{Name: "Service", Entries: []Entry{{"ExecStart", `/bin/x \\`}, {"Empty", ""}}},
	}
	if got := p.Sections(); !reflect.DeepEqual(got, want) {
		t.Errorf("Sections:\n got %q\nwant %q", got, want)
	}
	if got := p.Get("Unit", "After"); !reflect.DeepEqual(got, []string{"a    b c", "d"}) {
		t.Errorf("Get After = %q", got)
	}
	if got := p.Get("Nope", "After"); got != nil {
		t.Errorf("Get of a missing section = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Key=x\n", `unitfile: parse: line 1: assignment "Key=x" before the first [Section] header`},
		{"[Unit]\njunk\n", `unitfile: parse: line 2: "junk" is not a section header, comment or Key=Value assignment`},
		{"[Unit]\n=x\n", `unitfile: parse: line 2: "=x" is not a section header, comment or Key=Value assignment`},
		{"[Unit\n", `unitfile: parse: line 1: invalid section header "[Unit"; write [Name]`},
		{"[]\n", `unitfile: parse: line 1: invalid section header "[]"; write [Name]`},
		{"[Unit]\nA=\xff\n", `unitfile: parse: data is not valid UTF-8; unit files are UTF-8 text`},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q) error = %v, want %s", c.in, err, c.want)
		}
	}
}

func TestSplitWords(t *testing.T) {
	cases := []struct {
		raw  string
		want []string
	}{
		{"", nil},
		{"  a\tb  ", []string{"a", "b"}},
		{`"a b" 'c d' e"f g"h`, []string{"a b", "c d", "ef gh"}},
		{`"q\"x" 'it\'s' x\\y \s`, []string{`q"x`, "it's", `x\y`, " "}},
		{`"\a\b\f\n\r\t\v" \x41\101\u00e9\U0001F600`, []string{"\a\b\f\n\r\t\v", "AAé😀"}},
		{"%%h $$X $${Y} %t $HOME", []string{"%h", "$X", "${Y}", "%t", "$HOME"}},
		{"%%%% $$$$", []string{"%%", "$$"}},
		{`"a;b" ;x`, []string{"a;b", ";x"}},
	}
	for _, c := range cases {
		got, err := SplitWords(c.raw)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", c.raw, got, err, c.want)
		}
	}
	errs := []struct{ raw, want string }{
		{`a "b`, `unitfile: split words: unbalanced " quote starting in word at byte 2 of "a \"b"`},
		{`a\`, `unitfile: split words: trailing backslash at byte 1 of "a\\"`},
		{`a \$`, `unitfile: split words: unknown escape \$ (Quadlet 5.4 silently drops the whole value) at byte 2 of "a \\$"`},
		{`\x00`, `unitfile: split words: invalid escape \x00 at byte 0 of "\\x00"`},
		{`\x4`, `unitfile: split words: invalid escape \x4 at byte 0 of "\\x4"`},
		{`\000`, `unitfile: split words: invalid octal escape at byte 0 of "\\000"`},
		{`\u0000`, `unitfile: split words: invalid escape \u at byte 0 of "\\u0000"`},
		{`a "" b`, `unitfile: split words: empty word at byte 2 of "a \"\" b"; Quadlet 5.4 drops it and every word after it`},
		{`a ; b`, `unitfile: split words: the word ";" at byte 2 of "a ; b" is systemd's command separator once Quadlet re-quotes it`},
		{`a ";" b`, `unitfile: split words: the word ";" at byte 2 of "a \";\" b" is systemd's command separator once Quadlet re-quotes it`},
	}
	for _, c := range errs {
		got, err := SplitWords(c.raw)
		if err == nil || err.Error() != c.want {
			t.Errorf("SplitWords(%q) = %q, %v; want error %s", c.raw, got, err, c.want)
		}
	}
}

func TestParseEnvAssign(t *testing.T) {
	name, value, err := ParseEnvAssign(`"A=x \"y\" $$Z %%h"`)
	if err != nil || name != "A" || value != `x "y" $Z %h` {
		t.Errorf("ParseEnvAssign = %q, %q, %v", name, value, err)
	}
	errs := []struct{ raw, want string }{
		{"A=1 B=2", `unitfile: environment assignment "A=1 B=2": got 2 words, want exactly one NAME=VALUE`},
		{"novalue", `unitfile: environment assignment "novalue": want NAME=VALUE with NAME matching [A-Za-z_][A-Za-z0-9_]*`},
		{"1A=x", `unitfile: environment assignment "1A=x": want NAME=VALUE with NAME matching [A-Za-z_][A-Za-z0-9_]*`},
		{`"A=x`, `unitfile: environment assignment: unitfile: split words: unbalanced " quote starting in word at byte 0 of "\"A=x"`},
	}
	for _, c := range errs {
		_, _, err := ParseEnvAssign(c.raw)
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseEnvAssign(%q) error = %v, want %s", c.raw, err, c.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	if got := UnescapeLiteral("100%% %%h %t $$"); got != "100% %h %t $$" {
		t.Errorf("UnescapeLiteral = %q", got)
	}
	if got := UnescapeArg("100%% $$X %%%"); got != "100% $X %%" {
		t.Errorf("UnescapeArg = %q", got)
	}
}
