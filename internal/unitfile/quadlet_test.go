package unitfile

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/testtool"
)

// trickyWords are the argument words every escaping test pushes through the
// real Quadlet generator.
var trickyWords = []string{
	"plain",
	"two words",
	" leading space",
	"trailing space ",
	`"double"`,
	`'single'`,
	`it's`,
	`back\slash`,
	`ends in backslash\`,
	`\`,
	`"`,
	`'`,
	"100%",
	"%h",
	"%%",
	"$HOME",
	"${X}",
	"$$",
	"$",
	"a;b",
	";x",
	"--opt=a b",
	"=",
	"unicode ✓ ü 日本",
	"Key=value",
	"[Service]",
	"#not-a-comment",
	";not-a-comment",
	"tab\there",
	"x\nExecStartPre=/bin/evil",
	"cr\rx",
	"bell\a\x01\x7f",
	"nbsp\u00a0",
	"\u00a0",
	"\u2028",
	`\n`,
	`\x41`,
	"--env=A=1",
}

// trickyEnv are environment values pushed through Quadlet's Environment=.
var trickyEnv = [][2]string{
	{"PLAIN", "value"},
	{"EMPTY", ""},
	{"SPACES", " a  b "},
	{"DOLLAR", "$HOME"},
	{"BRACE", "${X}"},
	{"PCT", "%h 100%"},
	{"QUOTES", `say "hi" it's`},
	{"BACKSLASH", `C:\dir\`},
	{"SEMI", ";"},
	{"EQUALS", "a=b=c"},
	{"NEWLINE", "one\nExecStartPre=/bin/evil"},
	{"UNICODE", "✓ ü"},
	{"_under9", "x"},
}

// specifierEnv are EnvSpecifier values (name, value as written, value
// after systemd with %h the home directory HOME), for the Quadlet and
// booted tests.
var specifierEnv = [][3]string{
	{"SPEC_HOME", "%h", "HOME"},
	{"SPEC_PATH", `%h/my dir "x" $Y 100%%`, `HOME/my dir "x" $Y 100%`},
}

// execStart parses the generated service and returns ExecStart= split.
func execStart(t *testing.T, unit string) []string {
	t.Helper()
	p, err := Parse([]byte(unit))
	if err != nil {
		t.Fatalf("parse generated unit: %v\n%s", err, unit)
	}
	vals := p.Get("Service", "ExecStart")
	if len(vals) != 1 {
		t.Fatalf("generated unit has %d ExecStart= lines, want 1:\n%s", len(vals), unit)
	}
	words, err := SplitWords(vals[0])
	if err != nil {
		t.Fatalf("split generated ExecStart=: %v", err)
	}
	return words
}

// flagValues returns the values following each occurrence of flag in argv.
func flagValues(argv []string, flag string) []string {
	var out []string
	for i := 0; i+1 < len(argv); i++ {
		if argv[i] == flag {
			out = append(out, argv[i+1])
			i++
		}
	}
	return out
}

func TestQuadletCarriesTrickyValues(t *testing.T) {
	f := New()
	f.Add("Unit", "Description", Literal(`100% "quoted" $HOME ${X} ✓ ; #x`))
	f.Add("Container", "Image", Arg("docker.io/library/busybox:1.36"))
	f.Add("Container", "ContainerName", Arg("name with space $X ${Y} %h"))
	f.Add("Container", "HostName", Arg("h${X}%%y"))
	f.Add("Container", "Volume", Specifier("%h/.local/share/lychd:/data:Z"))
	for _, kv := range trickyEnv {
		f.Add("Container", "Environment", EnvAssign(kv[0], kv[1]))
	}
	for _, kv := range specifierEnv {
		f.Add("Container", "Environment", EnvSpecifier(kv[0], kv[1]))
	}
	f.Add("Container", "Exec", Words(trickyWords...))
	data, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	units, log, err := testtool.QuadletDryRun(t, map[string]string{"tricky.container": string(data)})
	if err != nil {
		t.Fatalf("quadlet failed: %v\n%s\ninput:\n%s", err, log, data)
	}
	unit, ok := units["tricky.service"]
	if !ok {
		t.Fatalf("quadlet generated %v, want tricky.service; log:\n%s", keys(units), log)
	}
	argv := execStart(t, unit)

	// Exec= words come last, after the image, exactly as given.
	img := -1
	for i, w := range argv {
		if w == "docker.io/library/busybox:1.36" {
			img = i
		}
	}
	if img < 0 {
		t.Fatalf("image not found in ExecStart argv %q", argv)
	}
	if got := argv[img+1:]; !reflect.DeepEqual(got, trickyWords) {
		t.Errorf("Exec= words after Quadlet:\n got %q\nwant %q", got, trickyWords)
	}

	// Environment= becomes --env NAME=VALUE, sorted by name; an
	// EnvSpecifier's %h reaches systemd unexpanded (its "%%" is one '%'
	// once systemd has read it, as SplitWords reads it).
	var wantEnv []string
	for _, kv := range trickyEnv {
		wantEnv = append(wantEnv, kv[0]+"="+kv[1])
	}
	for _, kv := range specifierEnv {
		wantEnv = append(wantEnv, kv[0]+"="+strings.ReplaceAll(kv[2], "HOME", "%h"))
	}
	sort.Strings(wantEnv)
	if got := flagValues(argv, "--env"); !reflect.DeepEqual(got, wantEnv) {
		t.Errorf("--env values after Quadlet:\n got %q\nwant %q", got, wantEnv)
	}

	if got := flagValues(argv, "--name"); !reflect.DeepEqual(got, []string{"name with space $X ${Y} %h"}) {
		t.Errorf("--name = %q", got)
	}
	if got := flagValues(argv, "--hostname"); !reflect.DeepEqual(got, []string{"h${X}%%y"}) {
		t.Errorf("--hostname = %q", got)
	}
	// A Specifier reaches systemd unexpanded; systemd expands %h itself.
	if got := flagValues(argv, "-v"); !reflect.DeepEqual(got, []string{"%h/.local/share/lychd:/data:Z"}) {
		t.Errorf("-v = %q", got)
	}

	p, err := Parse([]byte(unit))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Get("Unit", "Description"); len(got) != 1 || UnescapeLiteral(got[0]) != `100% "quoted" $HOME ${X} ✓ ; #x` {
		t.Errorf("Description = %q", got)
	}
	// Nothing smuggled a directive in.
	for _, sec := range p.Sections() {
		for _, e := range sec.Entries {
			if e.Key == "ExecStartPre" || sec.Name == "Install" {
				t.Errorf("unexpected [%s] %s=%s in generated unit", sec.Name, e.Key, e.Value)
			}
		}
	}
	if got := len(p.Get("Service", "ExecStart")); got != 1 {
		t.Errorf("%d ExecStart lines", got)
	}

	verifyGenerated(t, map[string]string{"tricky.service": unit})
}

// verifyGenerated runs systemd-analyze verify on generated units and fails on
// any output: systemd only warns about bad values.
func verifyGenerated(t *testing.T, units map[string]string) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for name, content := range units {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out, err := testtool.SystemdVerify(t, paths...)
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify: err=%v\n%s", err, out)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestQuadletRawBehaviour pins the Quadlet 5.4 facts the escaping rules rest
// on, by feeding hand-written values that Words never produces.
func TestQuadletRawBehaviour(t *testing.T) {
	cases := []struct {
		name, exec string
		want       []string // words after the image
	}{
		// An empty word ends the argument list: everything after it is lost.
		{"empty word truncates", `a "" b c`, []string{"a"}},
		{"empty single-quoted word truncates", `a '' b`, []string{"a"}},
		// An unknown escape makes Quadlet drop the whole Exec= silently.
		{"unknown escape drops all", `a \$ b`, nil},
		// '%' and '$' pass through unchanged (systemd expands them later).
		{"percent and dollar pass through", `%%h $$X $${Y}`, []string{"%h", "$X", "${Y}"}},
		// A trailing backslash is a line continuation in Quadlet.
		{"trailing backslash", `a \\`, []string{"a"}},
		// C escapes are decoded and re-encoded.
		{"c escapes", `"t\tx" \s \x41`, []string{"t\tx", " ", "A"}},
	}
	files := map[string]string{}
	for i, c := range cases {
		files[fmt.Sprintf("raw%d.container", i)] = "[Container]\nImage=docker.io/library/busybox:1.36\nExec=" + c.exec + "\n"
	}
	units, log, err := testtool.QuadletDryRun(t, files)
	if err != nil {
		t.Fatalf("quadlet: %v\n%s", err, log)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			argv := execStart(t, units[fmt.Sprintf("raw%d.service", i)])
			got := argv[len(argv)-len(c.want):]
			if argv[len(argv)-len(c.want)-1] != "docker.io/library/busybox:1.36" {
				t.Fatalf("argv %q: want exactly %q after the image", argv, c.want)
			}
			if len(c.want) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}

	// The word ";" (bare, quoted or escaped) reaches ExecStart= unquoted,
	// where systemd reads it as a command separator.
	units, log, err = testtool.QuadletDryRun(t, map[string]string{
		"semi.container": "[Container]\nImage=docker.io/library/busybox:1.36\nExec=a \";\" b\n",
	})
	if err != nil {
		t.Fatalf("quadlet: %v\n%s", err, log)
	}
	if !strings.Contains(units["semi.service"], "busybox:1.36 a ; b\n") {
		t.Errorf("quoted \";\" was not written bare:\n%s", units["semi.service"])
	}

	// Single-value keys lose one pair of surrounding double quotes; list keys
	// keep them.
	units, log, err = testtool.QuadletDryRun(t, map[string]string{
		"q.container": "[Container]\nImage=docker.io/library/busybox:1.36\nContainerName=\"quoted\"\nVolume=\"/a:/b\"\n",
	})
	if err != nil {
		t.Fatalf("quadlet: %v\n%s", err, log)
	}
	argv := execStart(t, units["q.service"])
	if got := flagValues(argv, "--name"); !reflect.DeepEqual(got, []string{"quoted"}) {
		t.Errorf("--name = %q, want the quotes stripped", got)
	}
	if got := flagValues(argv, "-v"); !reflect.DeepEqual(got, []string{`"/a:/b"`}) {
		t.Errorf("-v = %q, want the quotes kept", got)
	}
}

// TestQuadletRandomWords pushes seeded random argument vectors, built from
// the characters that matter to the splitters, through one Quadlet run.
func TestQuadletRandomWords(t *testing.T) {
	const n = 150
	rng := rand.New(rand.NewPCG(1, 2))
	palette := []string{"a", "Z", "0", " ", "  ", "\t", "\n", "\r", "\"", "'", "\\", "%", "%h", "$", "${", "}", ";", "=", "#", "[", "]", "✓", "\u00a0", "\x01", "\x7f", "-", "/", ":"}
	word := func() string {
		var b strings.Builder
		for k := 1 + rng.IntN(6); k > 0; k-- {
			b.WriteString(palette[rng.IntN(len(palette))])
		}
		if b.String() == ";" {
			return ";;"
		}
		return b.String()
	}
	files := map[string]string{}
	want := map[string][]string{}
	wantEnv := map[string]string{}
	for i := 0; i < n; i++ {
		var words []string
		for k := 1 + rng.IntN(5); k > 0; k-- {
			words = append(words, word())
		}
		envVal := word()
		f := New()
		f.Add("Container", "Image", Arg("docker.io/library/busybox:1.36"))
		f.Add("Container", "Environment", EnvAssign("V", envVal))
		f.Add("Container", "Exec", Words(words...))
		data, err := f.Bytes()
		if err != nil {
			t.Fatalf("Bytes(%q): %v", words, err)
		}
		name := fmt.Sprintf("r%03d", i)
		files[name+".container"] = string(data)
		want[name] = words
		wantEnv[name] = "V=" + envVal
	}
	units, log, err := testtool.QuadletDryRun(t, files)
	if err != nil {
		t.Fatalf("quadlet: %v\n%s", err, log)
	}
	for name, words := range want {
		argv := execStart(t, units[name+".service"])
		if len(argv) < len(words) || !reflect.DeepEqual(argv[len(argv)-len(words):], words) {
			t.Errorf("%s: argv %q does not end in %q\ninput:\n%s", name, argv, words, files[name+".container"])
		}
		if got := flagValues(argv, "--env"); !reflect.DeepEqual(got, []string{wantEnv[name]}) {
			t.Errorf("%s: --env %q, want %q", name, got, wantEnv[name])
		}
	}
}

// TestSystemdLineLimit pins the limit MaxLineBytes stays far below:
// systemd 252 refuses to load a unit with a line of 1 MiB or more (its
// LONG_LINE_MAX counts the newline), and loads one a byte shorter.
func TestSystemdLineLimit(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		unit := "[Unit]\nDescription=" + strings.Repeat("x", n-len("Description=")) + "\n\n[Service]\nExecStart=/bin/true\n"
		if err := os.WriteFile(p, []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, err := testtool.SystemdVerify(t, write("under.service", 1<<20-1))
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("a line of 1 MiB - 1 byte: err=%v\n%s", err, out)
	}
	out, err = testtool.SystemdVerify(t, write("over.service", 1<<20))
	if err == nil || !strings.Contains(out, "over.service failed to load properly") || !strings.Contains(out, "No buffer space available") {
		t.Errorf("a line of 1 MiB: err=%v, want the unit refused:\n%s", err, out)
	}
}
