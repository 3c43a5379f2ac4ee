package codex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/validate"
)

// writeCodex creates a Codex directory from a map of relative paths to
// contents.
func writeCodex(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSpecExample(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "codex", "spec-example"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	file := "soulstones/vision.toml"
	want := []model.Rune{
		{
			Name: "vision-analyzer", Kind: model.KindSoulstone, Image: "...", Groups: []string{"vision"},
			After:    []string{"lychd-soulstone-vision-preprocessor.service"},
			Requires: []string{"lychd-soulstone-vision-preprocessor.service"},
			Source:   model.Source{Kind: model.SourceCodex, Name: file, Line: 6},
		},
		{
			Name: "vision-preprocessor", Kind: model.KindSoulstone, Image: "...", Groups: []string{"vision"},
			Source: model.Source{Kind: model.SourceCodex, Name: file, Line: 2},
		},
	}
	if !reflect.DeepEqual(c.Runes, want) {
		t.Errorf("runes:\n got %+v\nwant %+v", c.Runes, want)
	}
	if len(c.Animators) != 0 {
		t.Errorf("animators = %+v, want none (no capabilities or tags)", c.Animators)
	}
	wantPod := model.Pod{UserNS: "keep-id", PublishAddress: "127.0.0.1"}
	if !reflect.DeepEqual(c.Pod, wantPod) {
		t.Errorf("pod = %+v, want defaults %+v", c.Pod, wantPod)
	}
	if c.Assimilation != (Assimilation{StartTimeout: 10 * time.Second, Deadline: 30 * time.Second, Parallel: 4}) {
		t.Errorf("assimilation = %+v, want defaults", c.Assimilation)
	}
	if c.Extensions == nil || len(c.Extensions) != 0 || c.Core != nil {
		t.Errorf("extensions = %v, core = %s; want empty map and nil", c.Extensions, c.Core)
	}
}

// TestGolden loads every example Codex under testdata/codex and compares
// the result, as indented JSON, with testdata/golden/NAME.json.
func TestGolden(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("testdata", "codex"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 3 {
		t.Fatalf("found %d example Codexes, want at least 3", len(dirs))
	}
	for _, d := range dirs {
		t.Run(d.Name(), func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", "codex", d.Name()))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden.Check(t, filepath.Join("testdata", "golden", d.Name()+".json"), got)
			// Loading is deterministic.
			again, _ := Load(filepath.Join("testdata", "codex", d.Name()))
			if !reflect.DeepEqual(c, again) {
				t.Errorf("a second Load gave a different Codex")
			}
		})
	}
}

// TestRichDetails checks the parts of the rich example that the golden file
// shows only indirectly.
func TestRichDetails(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "codex", "rich"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := c.Pod.Publish, []string{"127.0.0.1:8443:443", "0.0.0.0:9000:9000/udp"}; !reflect.DeepEqual(got, want) {
		t.Errorf("publish = %q, want %q", got, want)
	}
	if got, want := string(c.Extensions["vision-organ"]), `{"languages":["en","de"],"model_dir":"/srv/models","started":"2026-01-31","threads":8}`; got != want {
		t.Errorf("extension config = %s, want %s", got, want)
	}
	if got := string(c.Extensions["ledger"]); got != "{}" {
		t.Errorf("empty extension table = %s, want {}", got)
	}
	var xtts model.Rune
	for _, r := range c.Runes {
		if r.Name == "xtts" {
			xtts = r
		}
	}
	if !xtts.ExposePort || xtts.HostPort != 18020 || xtts.Port != 8020 {
		t.Errorf("xtts ports = %d/%d exposed=%v", xtts.Port, xtts.HostPort, xtts.ExposePort)
	}
	var names []string
	for _, a := range c.Animators {
		names = append(names, string(a.Kind)+":"+a.Name)
	}
	if got, want := strings.Join(names, " "), "soulstone:hermes portal:local-ollama soulstone:omni portal:openai soulstone:vision-analyzer soulstone:whisper soulstone:xtts"; got != want {
		t.Errorf("animators = %s, want %s", got, want)
	}
	m := c.Manifest()
	if len(m.Runes) != 7 || len(m.Animators) != 7 || len(m.Alliances) != 1 {
		t.Errorf("manifest has %d runes, %d animators, %d alliances", len(m.Runes), len(m.Animators), len(m.Alliances))
	}
}

func TestMissingCodexIsEmpty(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "nope"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Pod.UserNS != "keep-id" || c.Pod.PublishAddress != "127.0.0.1" || len(c.Runes) != 0 || c.Assimilation.Parallel != 4 {
		t.Errorf("got %+v, want an empty Codex with defaults", c)
	}
}

func TestIgnoredFiles(t *testing.T) {
	bad := "[x\n"
	dir := writeCodex(t, map[string]string{
		"soulstones/a.toml":      "[a]\nimage = \"a\"\n",
		"soulstones/a.toml~":     bad,
		"soulstones/.a.toml.swp": bad,
		"soulstones/a.swp":       bad,
		"soulstones/.#a.toml":    bad,
		"soulstones/#a.toml#":    bad,
		"soulstones/.hidden":     bad,
		"portals/.p.toml":        bad,
		"README.md":              "notes",
	})
	c, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.Runes) != 1 || c.Runes[0].Name != "a" {
		t.Errorf("runes = %+v, want just a", c.Runes)
	}
}

type malformed struct {
	name  string
	files map[string]string
	want  string
}

// ss is a soulstones/s.toml file.
func ss(content string) map[string]string {
	return map[string]string{"soulstones/s.toml": content}
}

// main is a lychd.toml file.
func mainf(content string) map[string]string {
	return map[string]string{"lychd.toml": content}
}

var malformedCases = []malformed{
	// TOML syntax and structure.
	{"syntax error", ss("[a]\nimage = \n"), `soulstones/s.toml:2: invalid TOML at column 9: unexpected character U+000A at start of value; fix the syntax (see https://toml.io)`},
	{"unterminated table header", ss("[a\nimage = \"x\"\n"), `soulstones/s.toml:1: invalid TOML at column 3: expected ']' to close table name; fix the syntax (see https://toml.io)`},
	{"duplicate key", ss("[a]\nimage = \"x\"\nimage = \"y\"\n"), `soulstones/s.toml:3: invalid TOML at column 1: key image is already defined; fix the syntax (see https://toml.io)`},
	{"invalid utf-8", ss("[a]\nimage = \"x\xff\"\n"), `soulstones/s.toml:2: invalid TOML at column 11: invalid UTF-8 character in basic string; fix the syntax (see https://toml.io)`},
	{"top-level key", ss("image = \"x\"\n"), `soulstones/s.toml:1: image: expected a soulstone table, found a string; put the soulstone's keys under a [NAME] header, e.g. [vision] followed by image = "ghcr.io/ggml-org/llama.cpp:server"`},
	{"array of tables", ss("[[a]]\nimage = \"x\"\n"), `soulstones/s.toml:1: a: expected a table, found an array of tables; write [a], not [[a]]`},
	// Names.
	{"upper-case name", ss("[Vision]\nimage = \"x\"\n"), `soulstones/s.toml:1: Vision: invalid soulstone name: name "Vision" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
	{"name with dot", ss("[\"a.b\"]\nimage = \"x\"\n"), `soulstones/s.toml:1: "a.b": invalid soulstone name: name "a.b" contains '.'; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
	{"name with trailing dash", ss("[vision-]\nimage = \"x\"\n"), `soulstones/s.toml:1: vision-: invalid soulstone name: name "vision-" ends with "-"; end it with a letter or digit`},
	{"name of a core rune", ss("\n[vessel]\nimage = \"x\"\n"), `soulstones/s.toml:2: vessel: invalid soulstone name: name "vessel" is taken by one of lychd's core runes (vessel, phylactery, oculus, migrate); pick another name`},
	{"name of a Watcher", ss("[grafana]\nimage = \"x\"\n"), `soulstones/s.toml:1: grafana: invalid soulstone name: name "grafana" is taken by one of lychd's core runes, the Watchers (harvester, grafana), even while [core.watchers] is off; pick another name`},
	{"bad coven name", ss("[a]\nimage = \"x\"\ngroups = [\"vision_x\"]\n"), `soulstones/s.toml:3: a.groups[0]: invalid coven name: name "vision_x" contains '_'; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
	// Keys and types.
	{"unknown key with alias", ss("[vision-analyzer]\nimage = \"x\"\n\ngpu = [\"nvidia.com/gpu=all\"]\n"), `soulstones/s.toml:4: vision-analyzer.gpu: unknown key; did you mean "devices"?`},
	{"unknown key typo", ss("[a]\nimgae = \"x\"\n"), `soulstones/s.toml:2: a.imgae: unknown key; did you mean "image"?`},
	{"unknown key no suggestion", ss("[a]\nimage = \"x\"\nflavour = 1\n"), `soulstones/s.toml:3: a.flavour: unknown key; a soulstone takes only after, capabilities, description, devices, engine, environment, exec, expose_port, extra_args, groups, health_cmd, host_port, image, memory, model, port, requires, resident, secrets, shm_size, start_timeout_seconds, tags, volumes, wants`},
	{"missing image", ss("# header\n[a]\ngroups = [\"g\"]\n"), `soulstones/s.toml:2: a.image: missing; every soulstone needs a container image, e.g. image = "ghcr.io/ggml-org/llama.cpp:server", or an engine preset, e.g. engine = "vllm" with model = "Qwen/Qwen2.5-7B-Instruct"`},
	{"image wrong type", ss("[a]\nimage = 3\n"), `soulstones/s.toml:2: a.image: expected a string, found an integer; write e.g. image = "ghcr.io/ggml-org/llama.cpp:server"`},
	{"image with space", ss("[a]\nimage = \"alpine latest\"\n"), `soulstones/s.toml:2: a.image: image "alpine latest" contains a space; write a reference such as "docker.io/library/alpine:3.20" (only letters, digits and . _ - / : @ [ ] + are allowed)`},
	{"groups as string", ss("[a]\nimage = \"x\"\ngroups = \"vision\"\n"), `soulstones/s.toml:3: a.groups: expected an array of strings, found a string; write groups = ["vision"]`},
	{"groups element wrong type", ss("[a]\nimage = \"x\"\ngroups = [\"a\",\n  2]\n"), `soulstones/s.toml:4: a.groups[1]: expected a string, found an integer; write e.g. groups = ["vision"]`},
	{"duplicate group", ss("[a]\nimage = \"x\"\ngroups = [\"v\", \"v\"]\n"), `soulstones/s.toml:3: a.groups[1]: "v" is listed twice (also at a.groups[0]); list it once`},
	{"duplicate after a wrong type", ss("[a]\nimage = \"x\"\nafter = [1, \"b.service\",\n \"b.service\"]\n"), `soulstones/s.toml:3: a.after[0]: expected a string, found an integer; write e.g. after = ["lychd-soulstone-NAME.service"]
soulstones/s.toml:4: a.after[2]: "b.service" is listed twice (also at a.after[1]); list it once`},
	{"exec may repeat", ss("[a]\nimage = \"x\"\nexec = [\"--a\", \"1\", \"--b\", \"1\"]\nport = \"x\"\n"), `soulstones/s.toml:4: a.port: expected an integer, found a string; write e.g. port = 8081`},
	{"after not a unit", ss("[a]\nimage = \"x\"\nafter = [\"lychd-soulstone-b\"]\n"), `soulstones/s.toml:3: a.after[0]: unit name "lychd-soulstone-b" has no unit type suffix; write a full unit name such as "lychd-soulstone-NAME.service" or "network-online.target" (known suffixes: .service .target .socket .mount .path .timer .device .slice .scope .swap .automount)`},
	{"requires specifier", ss("[a]\nimage = \"x\"\nrequires = [\"%i.service\"]\n"), `soulstones/s.toml:3: a.requires[0]: unit name "%i.service" contains "%"; systemd specifiers are not allowed, write the name out in full`},
	{"start timeout zero", ss("[a]\nimage = \"x\"\nstart_timeout_seconds = 0\n"), `soulstones/s.toml:3: a.start_timeout_seconds: 0 is out of range; a start timeout in seconds (an image pull on first start counts) must be from 1 to 86400`},
	{"start timeout as duration", ss("[a]\nimage = \"x\"\nstart_timeout_seconds = \"15m\"\n"), `soulstones/s.toml:3: a.start_timeout_seconds: expected an integer, found a string; write e.g. start_timeout_seconds = 900`},
	{"start timeout alias", ss("[a]\nimage = \"x\"\ntimeout = 900\n"), `soulstones/s.toml:3: a.timeout: unknown key; did you mean "start_timeout_seconds"?`},
	{"port string", ss("[a]\nimage = \"x\"\nport = \"8080\"\n"), `soulstones/s.toml:3: a.port: expected an integer, found a string; write e.g. port = 8081`},
	{"port out of range", ss("[a]\nimage = \"x\"\nport = 70000\n"), `soulstones/s.toml:3: a.port: port 70000 is out of range; use a number from 1 to 65535`},
	{"port float", ss("[a]\nimage = \"x\"\nport = 80.5\n"), `soulstones/s.toml:3: a.port: expected an integer, found a float; write e.g. port = 8081`},
	{"expose_port quoted", ss("[a]\nimage = \"x\"\nport = 1\nexpose_port = \"true\"\n"), `soulstones/s.toml:4: a.expose_port: expected a boolean, found the string "true"; remove the quotes: expose_port = true`},
	{"expose without port", ss("[a]\nimage = \"x\"\nexpose_port = true\n"), `soulstones/s.toml:3: a.expose_port: there is no port to expose; add port = N (the port the container listens on)`},
	{"host_port without expose", ss("[a]\nimage = \"x\"\nport = 80\nhost_port = 8080\n"), `soulstones/s.toml:4: a.host_port: set without expose_port = true; add expose_port = true to publish the port on the host, or remove host_port`},
	{"cdi with dash", ss("[a]\nimage = \"x\"\ndevices = [\"-nvidia.com/gpu=all\"]\n"), `soulstones/s.toml:3: a.devices[0]: device "-nvidia.com/gpu=all" starts with "-"; Quadlet would treat it as an optional device path and drop it, remove the "-"`},
	{"device not cdi", ss("[a]\nimage = \"x\"\ndevices = [\"gpu0\"]\n"), `soulstones/s.toml:3: a.devices[0]: device "gpu0" is not a CDI name of the form vendor/class=name; write a CDI name such as "nvidia.com/gpu=all" (list yours with "nvidia-ctk cdi list" or look in /etc/cdi)`},
	{"volume relative dst", ss("[a]\nimage = \"x\"\nvolumes = [\n  \"/srv:/ok\",\n  \"/srv:models\",\n]\n"), `soulstones/s.toml:5: a.volumes[1]: volume "/srv:models": container path "models" is not absolute; start it with "/"`},
	{"environment not a table", ss("[a]\nimage = \"x\"\nenvironment = [\"A=1\"]\n"), `soulstones/s.toml:3: a.environment: expected a table, found an array; write e.g. environment = { HF_HOME = "/models" }`},
	{"environment int value", ss("[a]\nimage = \"x\"\n[a.environment]\nPORT = 8080\n"), `soulstones/s.toml:4: a.environment.PORT: expected a string, found an integer; quote the value: PORT = "8080"`},
	{"environment bad name", ss("[a]\nimage = \"x\"\nenvironment = { \"A-B\" = \"1\" }\n"), `soulstones/s.toml:3: a.environment.A-B: environment variable name "A-B" contains '-'; use letters, digits and "_", not starting with a digit (e.g. "HF_HOME")`},
	{"exec newline", ss("[a]\nimage = \"x\"\nexec = [\"a\\nb\"]\n"), `soulstones/s.toml:3: a.exec[0]: argument "a\nb" contains the control character U+000A; remove it (values must fit on one line)`},
	{"capability with space", ss("[a]\nimage = \"x\"\ncapabilities = [\"chat completions\"]\n"), `soulstones/s.toml:3: a.capabilities[0]: capability "chat completions" contains a space; start with a letter and use letters, digits, "_", "." and "-", at most 64 characters (e.g. "OpenAIChatCompletions")`},
	// Values the unit writer would refuse are refused here, with file:line.
	{"description trailing backslash", ss("[a]\nimage = \"x\"\ndescription = 'Vision\\'\n"), `soulstones/s.toml:3: a.description: description "Vision\\" ends in a backslash, which Quadlet and systemd read as a line continuation; remove it`},
	{"exec empty and semicolon", ss("[a]\nimage = \"x\"\nexec = [\"a\",\n  \"\",\n  \";\"]\n"), `soulstones/s.toml:4: a.exec[1]: argument is empty; Quadlet drops an empty argument together with every argument after it, leave it out or use a placeholder
soulstones/s.toml:5: a.exec[2]: argument ";" cannot be passed: Quadlet writes it unquoted into the service, where systemd reads it as a command separator; attach it to a neighbouring argument (e.g. "--sep=;")`},
	{"escaped unit name", ss("[a]\nimage = \"x\"\nafter = ['foo\\x2dbar.service']\n"), `soulstones/s.toml:3: a.after[0]: unit name "foo\\x2dbar.service" contains a backslash; escaped unit names (systemd-escape) are not supported, name a unit that needs no escaping`},
	{"environment value too long", ss("[a]\nimage = \"x\"\n\n[a.environment]\nPROMPT = \"" + strings.Repeat("x", 70000) + "\"\n"), `soulstones/s.toml:5: a.environment.PROMPT: value is 70000 bytes long; the limit is 8192 bytes (put longer text in a file and mount it)`},
	{"description two lines", ss("[a]\nimage = \"x\"\ndescription = \"\"\"\none\ntwo\"\"\"\n"), `soulstones/s.toml:3: a.description: description "one\ntwo" contains the control character U+000A; remove it (values must fit on one line)`},
	// Portals.
	{"portal missing url", map[string]string{"portals/p.toml": "[openai]\ntags = [\"x\"]\n"}, `portals/p.toml:1: openai.url: missing; every portal needs the URL of its API, e.g. url = "https://api.example.com/v1"`},
	{"portal bad scheme", map[string]string{"portals/p.toml": "[openai]\nurl = \"ftp://x.org\"\n"}, `portals/p.toml:2: openai.url: URL "ftp://x.org" has scheme "ftp"; use http or https`},
	{"portal unknown key", map[string]string{"portals/p.toml": "[openai]\nurl = \"https://x.org\"\nendpoint = \"https://y.org\"\n"}, `portals/p.toml:3: openai.endpoint: unknown key; did you mean "url"?`},
	// Duplicates across files.
	{"duplicate soulstone", map[string]string{
		"soulstones/a.toml": "[x]\nimage = \"a\"\n",
		"soulstones/b.toml": "\n\n[x]\nimage = \"b\"\n",
	}, `soulstones/b.toml:3: x: already defined by the soulstone at soulstones/a.toml:1; rename one of the two`},
	{"soulstone and portal share a name", map[string]string{
		"soulstones/a.toml": "[x]\nimage = \"a\"\n",
		"portals/p.toml":    "[x]\nurl = \"https://x.org\"\n",
	}, `portals/p.toml:1: x: already defined by the soulstone at soulstones/a.toml:1; soulstones and portals share one set of names, rename one of the two`},
	// Files.
	{"non-toml file", map[string]string{"soulstones/notes.txt": "hi"}, `soulstones/notes.txt: is not a .toml file; lychd reads only soulstones/*.toml: rename it to end in .toml or move it out of soulstones/`},
	{"subdirectory", map[string]string{"portals/sub/x.toml": "[x]\n"}, `portals/sub: is a directory, and subdirectories are not read; move its files up into portals/ or move it out of portals/`},
	{"soulstones is a file", map[string]string{"soulstones": "x"}, `soulstones: is not a directory; soulstones/ must be a directory of *.toml files, move this file away`},
	// lychd.toml.
	{"unknown top-level key", mainf("alliance = [[\"a\", \"b\"]]\n"), `lychd.toml:1: alliance: unknown key; did you mean "alliances"?`},
	{"alliance of one", mainf("alliances = [[\"a\"]]\n"), `lychd.toml:1: alliances[0]: an alliance needs at least two covens; list the covens allowed to run at the same time, e.g. ["reasoning", "tts"], or remove it`},
	{"alliance flat", mainf("alliances = [\"a\", \"b\"]\n"), `lychd.toml:1: alliances: expected an array of alliances, found an array of strings; wrap each alliance in its own brackets: alliances = [["a", "b"]]`},
	{"alliance bad coven", mainf("alliances = [[\"a\", \"B\"]]\n"), `lychd.toml:1: alliances[0][1]: invalid coven name: name "B" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
	{"alliance duplicate coven", mainf("alliances = [[\"a\", \"a\"]]\n"), `lychd.toml:1: alliances[0][1]: "a" is listed twice (also at alliances[0][0]); list it once`},
	{"bad userns", mainf("[pod]\nuserns = \"keepid\"\n"), `lychd.toml:2: pod.userns: user namespace mode "keepid" is not supported; use "keep-id", "keep-id:uid=N,gid=N", "auto", "host" or "nomap"`},
	{"bad publish address", mainf("[pod]\npublish_address = \"localhost\"\n"), `lychd.toml:2: pod.publish_address: address "localhost" is not an IP address; use e.g. "127.0.0.1" (this host only) or "0.0.0.0" (all interfaces)`},
	{"bad publish", mainf("[pod]\npublish = [\"8080\"]\n"), `lychd.toml:2: pod.publish[0]: port mapping "8080" is not of the form HOST:CONTAINER; write "HOST:CONTAINER" or "IP:HOST:CONTAINER", optionally with "/tcp" or "/udp", e.g. "8080:80"`},
	{"pod unknown key", mainf("[pod]\nports = [\"1:1\"]\n"), `lychd.toml:2: pod.ports: unknown key; did you mean "publish"?`},
	{"core not a table", mainf("core = \"x\"\n"), `lychd.toml:1: core: expected a table, found a string; write e.g. [core] followed by its settings`},
	{"bad extension name", mainf("[extensions.Vision]\nx = 1\n"), `lychd.toml:1: extensions.Vision: invalid extension name: name "Vision" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
	{"extension not a table", mainf("[extensions]\nvision = 1\n"), `lychd.toml:2: extensions.vision: expected a table, found an integer; write e.g. [extensions.vision] followed by its settings`},
	{"extension nan", mainf("[extensions.vision]\nratio = nan\n"), `lychd.toml:2: extensions.vision.ratio: NaN cannot be passed on as JSON; write it as a string, e.g. "NaN"`},
	{"assimilation out of range", mainf("[assimilation]\nparallel = 0\n"), `lychd.toml:2: assimilation.parallel: 0 is out of range; parallel must be from 1 to 64`},
	{"deadline shorter than start", mainf("[assimilation]\nstart_timeout_seconds = 60\n"), `lychd.toml:2: assimilation.start_timeout_seconds: deadline_seconds (30) is shorter than start_timeout_seconds (60); the deadline covers the start, make it at least as long`},
	{"assimilation typo", mainf("[assimilation]\nparalel = 2\n"), `lychd.toml:2: assimilation.paralel: unknown key; did you mean "parallel"?`},
}

func TestMalformed(t *testing.T) {
	if len(malformedCases) < 35 {
		t.Fatalf("only %d malformed cases", len(malformedCases))
	}
	for _, tc := range malformedCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeCodex(t, tc.files)
			c, err := Load(dir)
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want error:\n%s", c, tc.want)
			}
			if c != nil {
				t.Errorf("Load returned a Codex along with its error")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors", err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error text:\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// TestAccumulation checks that one Load reports every problem of every
// file, sorted by file, line and key.
func TestAccumulation(t *testing.T) {
	dir := writeCodex(t, map[string]string{
		"lychd.toml":        "alliances = [[\"a\"]]\n[pod]\nuserns = \"bogus\"\n[assimilation]\nparallel = 100\n",
		"soulstones/b.toml": "[b]\nport = 0\n\n[c]\nimage = \"c\"\ngpu = 1\n",
		"soulstones/a.toml": "[a\n",
		"portals/p.toml":    "[p]\nurl = \"x\"\n[b]\nurl = \"https://b.org\"\n",
		"portals/q.txt":     "",
	})
	_, err := Load(dir)
	want := `lychd.toml:1: alliances[0]: an alliance needs at least two covens; list the covens allowed to run at the same time, e.g. ["reasoning", "tts"], or remove it
lychd.toml:3: pod.userns: user namespace mode "bogus" is not supported; use "keep-id", "keep-id:uid=N,gid=N", "auto", "host" or "nomap"
lychd.toml:5: assimilation.parallel: 100 is out of range; parallel must be from 1 to 64
portals/p.toml:2: p.url: URL "x" has no scheme; write an absolute URL such as "https://api.example.com/v1"
portals/p.toml:3: b: already defined by the soulstone at soulstones/b.toml:1; soulstones and portals share one set of names, rename one of the two
portals/q.txt: is not a .toml file; lychd reads only portals/*.toml: rename it to end in .toml or move it out of portals/
soulstones/a.toml:1: invalid TOML at column 3: expected ']' to close table name; fix the syntax (see https://toml.io)
soulstones/b.toml:1: b.image: missing; every soulstone needs a container image, e.g. image = "ghcr.io/ggml-org/llama.cpp:server", or an engine preset, e.g. engine = "vllm" with model = "Qwen/Qwen2.5-7B-Instruct"
soulstones/b.toml:2: b.port: port 0 is out of range; use a number from 1 to 65535
soulstones/b.toml:6: c.gpu: unknown key; did you mean "devices"?`
	if err == nil || err.Error() != want {
		t.Errorf("error text:\n got: %v\nwant: %s", err, want)
	}
}

func TestSpecialFiles(t *testing.T) {
	dir := writeCodex(t, map[string]string{"soulstones/ok.toml": "[ok]\nimage = \"x\"\n"})
	if err := syscall.Mkfifo(filepath.Join(dir, "soulstones", "fifo.toml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("missing.toml", filepath.Join(dir, "soulstones", "dangling.toml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "soulstones", "dir.toml"), 0o755); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1)
	if err := os.MkdirAll(filepath.Join(dir, "portals"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "portals", "big.toml"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	want := `portals/big.toml: is larger than 1048576 bytes; a Codex file this large is surely not hand-written, check its content
soulstones/dangling.toml: is a symbolic link to a missing file; fix or remove the link
soulstones/dir.toml: is a directory, not a file; move it away
soulstones/fifo.toml: is not a regular file; replace it with a plain text file`
	if err == nil || err.Error() != want {
		t.Errorf("error text:\n got: %v\nwant: %s", err, want)
	}

	dir = t.TempDir()
	if err := os.Symlink("elsewhere.toml", filepath.Join(dir, "lychd.toml")); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir)
	want = "lychd.toml: is a symbolic link to a missing file; fix or remove the link"
	if err == nil || err.Error() != want {
		t.Errorf("error text:\n got: %v\nwant: %s", err, want)
	}

	file := filepath.Join(t.TempDir(), "codex")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(file)
	want = file + ": the Codex must be a directory holding lychd.toml, soulstones/ and portals/; move this file away"
	if err == nil || err.Error() != want {
		t.Errorf("error text:\n got: %v\nwant: %s", err, want)
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "a.toml", Line: 3, Key: "x.y", Msg: "bad"}, "a.toml:3: x.y: bad"},
		{Error{File: "a.toml", Line: 3, Msg: "bad"}, "a.toml:3: bad"},
		{Error{File: "a.toml", Msg: "bad"}, "a.toml: bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	es := Errors{{File: "b", Line: 1, Msg: "x"}, {File: "a", Line: 2, Msg: "y"}, {File: "a", Line: 1, Key: "k", Msg: "z"}}
	es.sort()
	if got, want := es.Error(), "a:1: k: z\na:2: y\nb:1: x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestKeyPathString(t *testing.T) {
	var p keyPath
	p = p.child("vision").child("devices").index(1)
	if got := p.String(); got != "vision.devices[1]" {
		t.Errorf("got %s", got)
	}
	p = keyPath{}.child("a.b").child("").child("x y")
	if got := p.String(); got != `"a.b".""."x y"` {
		t.Errorf("got %s", got)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"image", "devices", "groups", "port", "host_port"}
	for in, want := range map[string]string{
		"imgae": "image", "Image": "image", "gpu": "devices", "group": "groups",
		"prot": "port", "hostport": "host_port", "flavour": "", "x": "",
	} {
		if got := suggest(in, known, soulstoneAliases); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSepulcherLimits checks that the Codex alone is held to the limits of
// the whole Sepulcher (validate.Tally), at the line of the soulstone or
// setting that passes one.
func TestSepulcherLimits(t *testing.T) {
	var b strings.Builder
	for i := 0; i <= validate.MaxCovens; i++ {
		fmt.Fprintf(&b, "[s%d]\nimage = \"x/y:1\"\n", i)
	}
	_, err := Load(writeCodex(t, map[string]string{"soulstones/many.toml": b.String()}))
	want := fmt.Sprintf(`soulstones/many.toml:%d: s500: this soulstone's covens make 501 covens; lychd supports at most 500 (a soulstone without groups is a coven of its own): put soulstones that take turns on the same hardware in shared covens`, 2*validate.MaxCovens+1)
	if err == nil || err.Error() != want {
		t.Errorf("Load:\n got %v\nwant %s", err, want)
	}
	b.Reset()
	b.WriteString("[pod]\npublish = [\n")
	for i := 0; i <= validate.MaxPublishedPorts; i++ {
		fmt.Fprintf(&b, "  \"%d:80\",\n", 1000+i)
	}
	b.WriteString("]\n")
	_, err = Load(writeCodex(t, map[string]string{MainFile: b.String()}))
	want = "lychd.toml:2: pod.publish: this makes 1001 ports published on the host; lychd supports at most 1000"
	if err == nil || err.Error() != want {
		t.Errorf("Load:\n got %v\nwant %s", err, want)
	}
}
