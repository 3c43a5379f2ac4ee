package unitfile

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind decides how a Value is checked and escaped.
type kind int

const (
	kindLiteral kind = iota + 1
	kindSpecifier
	kindArg
	kindWords
	kindEnvAssign
	kindList
	kindWord
	kindEnvSpecifier
)

// String names the kind in error messages.
func (k kind) String() string {
	switch k {
	case kindLiteral:
		return "Literal"
	case kindSpecifier:
		return "Specifier"
	case kindArg:
		return "Arg"
	case kindWords:
		return "Words"
	case kindEnvAssign:
		return "EnvAssign"
	case kindList:
		return "List"
	case kindWord:
		return "Word"
	case kindEnvSpecifier:
		return "EnvSpecifier"
	}
	return "invalid"
}

// Value is one typed entry value. Build it with Literal, Specifier, Arg,
// Word, Words, EnvAssign, EnvSpecifier or List; the zero Value is rejected by File.Bytes. The
// kind decides how the value is checked and escaped when the file is
// serialized (see the package documentation for the exact rules).
type Value struct {
	kind  kind
	s     string   // Literal, Specifier, Arg; the value of EnvAssign and EnvSpecifier
	name  string   // EnvAssign, EnvSpecifier
	words []string // Words, List
}

// Literal is user data written as the whole value of a key that systemd or
// Quadlet reads as one string (Description=, and [Container] keys that are
// not copied onto the podman command line). Every '%' is written as '%%' so
// systemd never expands a specifier in it. It must not contain control
// characters (newline, CR, NUL, ...), invalid UTF-8, leading or trailing
// white space, or end in a backslash.
func Literal(s string) Value { return Value{kind: kindLiteral, s: s} }

// Specifier is trusted text written by lychd itself that may use systemd
// specifiers such as %h or %t, for a key that Quadlet copies onto the podman
// command line like Arg (Volume=), e.g. "%h/.local/share/lychd:/data:Z".
// Every '%' must start a specifier (a letter) or be doubled, and is written
// unchanged; '$' is written as '$$', as in Arg, so that text holding "$"
// never reaches systemd's variable expansion. It gets the same checks as
// Literal.
func Specifier(s string) Value { return Value{kind: kindSpecifier, s: s} }

// Arg is user data that Quadlet copies verbatim into the generated podman
// command line as one argument (Image=, ContainerName=, HostName=, Network=,
// Volume=, PublishPort=, ...). systemd expands both specifiers and
// $-variables there, so '%' is written as '%%' and '$' as '$$'. It gets the
// same checks as Literal and must not start or end with a double quote
// (Quadlet strips every leading and trailing '"' from single-value keys).
func Arg(s string) Value { return Value{kind: kindArg, s: s} }

// Word is user data for a key that Quadlet splits on white space and
// unquotes before copying each word onto the podman command line
// (AddDevice=). It must be one word: no white space, quotes or backslashes;
// '%' and '$' are doubled as in Arg. It gets the same checks as Literal. A
// leading '-' is left to the caller: for AddDevice= it makes the device
// optional.
func Word(s string) Value { return Value{kind: kindWord, s: s} }

// Words is an argument vector for keys that Quadlet or systemd split like a
// command line (Quadlet Exec=, PodmanArgs=, Label=; systemd ExecStart= and
// friends). Each word is quoted and escaped so that Quadlet and systemd split
// it back into exactly the same words, with '%' written as '%%' and '$' as
// '$$'. Empty words and the word ";" are rejected: Quadlet 5.4 cannot carry
// them (see the package documentation). In a systemd Exec*= line the first
// word is the program, whose prefixes ('-', '@', ':', '+', '!') systemd
// interprets; Words does not escape them.
func Words(args ...string) Value {
	return Value{kind: kindWords, words: append([]string(nil), args...)}
}

// EnvAssign is one NAME=VALUE assignment for Quadlet's [Container]
// Environment= key. NAME must match [A-Za-z_][A-Za-z0-9_]*; VALUE may be
// anything but NUL, C1 control characters or invalid UTF-8, and is quoted so
// that it reaches the container exactly. Quadlet turns it into a podman
// --env argument, so '%' and '$' are doubled as in Words. Do not use it for
// a systemd [Service] Environment=, where systemd does not expand '$'.
func EnvAssign(name, value string) Value {
	return Value{kind: kindEnvAssign, name: name, s: value}
}

// EnvSpecifier is EnvAssign for trusted text written by lychd itself whose
// value may use systemd specifiers, e.g. HOME=%h: as in Specifier, every
// '%' must start a specifier (a letter) or be doubled, and is written
// unchanged, so systemd expands %h on the podman command line; '$' is
// doubled as in EnvAssign. Never use it for a value that came from the
// Codex or an extension: there a '%' must stay a '%' (EnvAssign).
func EnvSpecifier(name, value string) Value {
	return Value{kind: kindEnvSpecifier, name: name, s: value}
}

// List is a space-separated list of plain tokens such as unit names for
// After=, Wants= or Conflicts=. Each item must be non-empty and consist of
// ASCII letters, digits and ":_.@-". Use File.AddWrapped to spread a long list
// over repeated keys.
func List(items ...string) Value {
	return Value{kind: kindList, words: append([]string(nil), items...)}
}

// problem describes why a value cannot be written and how to fix it.
type problem struct {
	part string // the offending part of the value (a word, an item); "" means the whole value
	what string
	fix  string
}

// encode returns the raw text written after "Key=".
func (v Value) encode() (string, *problem) {
	switch v.kind {
	case kindLiteral:
		if p := checkString(v.s); p != nil {
			return "", p
		}
		return strings.ReplaceAll(v.s, "%", "%%"), nil
	case kindSpecifier:
		if p := checkString(v.s); p != nil {
			return "", p
		}
		if p := checkSpecifiers(v.s); p != nil {
			return "", p
		}
		return strings.ReplaceAll(v.s, "$", "$$"), nil
	case kindArg:
		if p := checkString(v.s); p != nil {
			return "", p
		}
		if strings.HasPrefix(v.s, `"`) || strings.HasSuffix(v.s, `"`) {
			return "", &problem{
				what: "value starts or ends with a double quote, which Quadlet strips from single-value keys",
				fix:  "remove the leading and trailing quotes",
			}
		}
		return escapeExpansions(v.s), nil
	case kindWord:
		if p := checkString(v.s); p != nil {
			return "", p
		}
		if v.s == "" {
			return "", &problem{what: "empty word (an empty value resets the key)", fix: "leave the entry out"}
		}
		if i := strings.IndexAny(v.s, " \t\n\r\"'\\"); i >= 0 {
			return "", &problem{
				what: fmt.Sprintf("%q at byte %d: Quadlet splits this key on white space and removes quotes and backslashes", v.s[i], i),
				fix:  "pass a single word without white space, quotes or backslashes",
			}
		}
		return escapeExpansions(v.s), nil
	case kindWords:
		return encodeWords(v.words)
	case kindEnvAssign:
		if p := checkEnv(v.name, v.s); p != nil {
			return "", p
		}
		return quoteWord(v.name + "=" + v.s), nil
	case kindEnvSpecifier:
		if p := checkEnv(v.name, v.s); p != nil {
			return "", p
		}
		if p := checkSpecifiers(v.s); p != nil {
			p.part = fmt.Sprintf("%s value %q", v.name, v.s)
			return "", p
		}
		return quoteWordKeepSpecifiers(v.name + "=" + v.s), nil
	case kindList:
		if len(v.words) == 0 {
			return "", &problem{what: "empty list (an empty value resets the key)", fix: "leave the entry out"}
		}
		for i, it := range v.words {
			if !validListItem(it) {
				return "", &problem{
					part: fmt.Sprintf("item %d %q", i, it),
					what: "list items must be non-empty and use only ASCII letters, digits and \":_.@-\"",
					fix:  "use a plain unit name",
				}
			}
		}
		return strings.Join(v.words, " "), nil
	}
	return "", &problem{what: "zero Value", fix: "build values with Literal, Specifier, Arg, Word, Words, EnvAssign, EnvSpecifier or List"}
}

// isControl reports C0 controls, DEL and C1 controls.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f)
}

// checkString applies the rules shared by Literal, Specifier and Arg.
func checkString(s string) *problem {
	if !utf8.ValidString(s) {
		return &problem{what: "value is not valid UTF-8", fix: "pass UTF-8 text"}
	}
	for _, r := range s {
		if isControl(r) {
			return &problem{
				what: fmt.Sprintf("value contains control character %U, which could end the line or be mangled", r),
				fix:  "remove control characters (newline, CR, tab, NUL, ...)",
			}
		}
	}
	if s == "" {
		return nil
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return &problem{
			what: "value has leading or trailing white space, which Quadlet and systemd strip",
			fix:  "trim the value",
		}
	}
	if strings.HasSuffix(s, `\`) {
		return &problem{
			what: "value ends in a backslash, which Quadlet and systemd read as a line continuation",
			fix:  "remove the trailing backslash",
		}
	}
	return nil
}

// checkSpecifiers requires every '%' to be "%%" or start a letter specifier.
func checkSpecifiers(s string) *problem {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+1 < len(s) && (s[i+1] == '%' || isASCIILetter(s[i+1])) {
			i++
			continue
		}
		return &problem{
			what: fmt.Sprintf("'%%' at byte %d does not start a systemd specifier", i),
			fix:  "write a specifier such as %h, or '%%' for a literal percent sign",
		}
	}
	return nil
}

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// validEnvName reports whether name matches [A-Za-z_][A-Za-z0-9_]*.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isASCIILetter(c) || c == '_' || (i > 0 && isASCIIDigit(c))) {
			return false
		}
	}
	return true
}

func validListItem(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isASCIILetter(c) || isASCIIDigit(c) || strings.IndexByte(":_.@-", c) >= 0) {
			return false
		}
	}
	return true
}

// escapeExpansions doubles '%' and '$', the two characters systemd expands on
// a command line.
func escapeExpansions(s string) string {
	if !strings.ContainsAny(s, "%$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '$' {
			b.WriteByte(s[i])
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// checkWordChars rejects what no escaping can carry through Quadlet: NUL (its
// unescaper refuses \x00), C1 controls (Quadlet re-escapes U+0080 as the
// single byte \x80) and invalid UTF-8.
func checkWordChars(w string) *problem {
	if !utf8.ValidString(w) {
		return &problem{what: "not valid UTF-8", fix: "pass UTF-8 text"}
	}
	for _, r := range w {
		if r == 0 {
			return &problem{what: "contains NUL, which cannot be passed in an argument", fix: "remove the NUL byte"}
		}
		if r >= 0x80 && r <= 0x9f {
			return &problem{
				what: fmt.Sprintf("contains C1 control character %U, which Quadlet re-escapes wrongly", r),
				fix:  "remove the control character",
			}
		}
	}
	return nil
}

// encodeWords writes args so that systemd's and Quadlet's command-line
// splitters give back exactly args.
func encodeWords(args []string) (string, *problem) {
	if len(args) == 0 {
		return "", &problem{what: "no words (an empty value resets the key)", fix: "pass at least one word or leave the entry out"}
	}
	var b strings.Builder
	for i, w := range args {
		part := fmt.Sprintf("word %d %q", i, w)
		if w == "" {
			return "", &problem{
				part: part,
				what: "empty word: Quadlet 5.4 drops an empty argument together with every argument after it",
				fix:  "leave the argument out or use a non-empty placeholder",
			}
		}
		if w == ";" {
			return "", &problem{
				part: part,
				what: `the word ";": Quadlet 5.4 writes it unquoted into ExecStart=, where systemd reads it as a command separator`,
				fix:  `attach it to a neighbouring word (e.g. "--sep=;")`,
			}
		}
		if p := checkWordChars(w); p != nil {
			p.part = part
			return "", p
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteWord(w))
	}
	return b.String(), nil
}

// needsQuotes reports whether w holds a character that the splitters treat
// specially: white space (quoted even where only Quadlet's line trimming
// would see it), quotes, backslash and control characters.
func needsQuotes(w string) bool {
	for _, r := range w {
		if unicode.IsSpace(r) || isControl(r) || r == '"' || r == '\'' || r == '\\' {
			return true
		}
	}
	return false
}

// quoteWord writes one word in the form Quadlet itself uses when it builds
// ExecStart=: bare when nothing needs quoting, otherwise in double quotes with
// '\\', '\"' and C escapes for control characters; '%' and '$' are doubled in
// both forms.
func quoteWord(w string) string { return quote(w, true) }

// quoteWordKeepSpecifiers is quoteWord with every '%' written unchanged,
// for EnvSpecifier (whose '%' are checked specifiers or pairs already).
func quoteWordKeepSpecifiers(w string) string { return quote(w, false) }

// quote is quoteWord, doubling '%' only when doublePercent.
func quote(w string, doublePercent bool) string {
	if !needsQuotes(w) {
		if !doublePercent {
			return strings.ReplaceAll(w, "$", "$$")
		}
		return escapeExpansions(w)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range w {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '%':
			if doublePercent {
				b.WriteByte('%')
			}
			b.WriteByte('%')
		case '$':
			b.WriteString("$$")
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		default:
			if isControl(r) {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// checkEnv checks an Environment= assignment's name and value.
func checkEnv(name, value string) *problem {
	if !validEnvName(name) {
		return &problem{
			part: name,
			what: "environment variable name must match [A-Za-z_][A-Za-z0-9_]*",
			fix:  "rename the variable",
		}
	}
	if p := checkWordChars(value); p != nil {
		p.part = fmt.Sprintf("%s value %q", name, value)
		return p
	}
	return nil
}
