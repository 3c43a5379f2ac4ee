package bind

import (
	"flag"
	"fmt"
	"strings"
	"testing"
)

var printErrors = flag.Bool("print-errors", false, "print the actual error of every bad-input case (to review and paste)")

const goodTTS = "[xtts]\nimage = \"ghcr.io/example/xtts:1\"\nport = 8081\n"

// badInputs are malformed Codexes. Each must fail with exactly its error and
// leave the binding site byte-for-byte as the previous good bind left it.
var badInputs = []struct {
	name  string
	files map[string]string
	want  string
}{
	{"unknown key", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\ngpu = true\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.gpu: unknown key; did you mean "devices"?`},
	{"misspelled key", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\ndevice = [\"nvidia.com/gpu=all\"]\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.device: unknown key; did you mean "devices"?`},
	{"wrong type", map[string]string{"soulstones/a.toml": "[a]\nimage = 5\n"}, `bind: nothing was written:
soulstones/a.toml:2: a.image: expected a string, found an integer; write e.g. image = "ghcr.io/ggml-org/llama.cpp:server"`},
	{"missing image", map[string]string{"soulstones/a.toml": "[a]\ngroups = [\"g\"]\n"}, `bind: nothing was written:
soulstones/a.toml:1: a.image: missing; every soulstone needs a container image, e.g. image = "ghcr.io/ggml-org/llama.cpp:server", or an engine preset, e.g. engine = "vllm" with model = "Qwen/Qwen2.5-7B-Instruct"`},
	{"bad soulstone name", map[string]string{"soulstones/a.toml": "[Vision_Bad]\nimage = \"x/y:1\"\n"}, `bind: nothing was written:
soulstones/a.toml:1: Vision_Bad: invalid soulstone name: name "Vision_Bad" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
	{"path trick name", map[string]string{"soulstones/a.toml": "[\"../etc\"]\nimage = \"x/y:1\"\n"}, `bind: nothing was written:
soulstones/a.toml:1: "../etc": invalid soulstone name: name "../etc" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
	{"dash-prefixed device", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\ndevices = [\"-nvidia.com/gpu=all\"]\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.devices[0]: device "-nvidia.com/gpu=all" starts with "-"; Quadlet would treat it as an optional device path and drop it, remove the "-"`},
	{"device without name", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\ndevices = [\"nvidia.com/gpu\"]\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.devices[0]: device "nvidia.com/gpu" is not a CDI name of the form vendor/class=name; write a CDI name such as "nvidia.com/gpu=all" (list yours with "nvidia-ctk cdi list" or look in /etc/cdi)`},
	{"port out of range", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nport = 70000\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.port: port 70000 is out of range; use a number from 1 to 65535`},
	{"host_port without expose_port", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nport = 8081\nhost_port = 18081\n"}, `bind: nothing was written:
soulstones/a.toml:4: a.host_port: set without expose_port = true; add expose_port = true to publish the port on the host, or remove host_port`},
	{"expose_port without port", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nexpose_port = true\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.expose_port: there is no port to expose; add port = N (the port the container listens on)`},
	{"after not a unit name", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nafter = [\"foo\"]\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.after[0]: unit name "foo" has no unit type suffix; write a full unit name such as "lychd-soulstone-NAME.service" or "network-online.target" (known suffixes: .service .target .socket .mount .path .timer .device .slice .scope .swap .automount)`},
	{"specifier in unit name", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nwants = [\"lychd-%n.service\"]\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.wants[0]: unit name "lychd-%n.service" contains "%"; systemd specifiers are not allowed, write the name out in full`},
	{"environment value not a string", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nenvironment = { N = 3 }\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.environment.N: expected a string, found an integer; quote the value: N = "3"`},
	{"environment bad name", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nenvironment = { \"1X\" = \"v\" }\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.environment.1X: environment variable name "1X" does not start with a letter or "_"; use letters, digits and "_", not starting with a digit (e.g. "HF_HOME")`},
	{"exec not an array", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nexec = \"--model x\"\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.exec: expected an array of strings, found a string; write exec = ["--model x"]`},
	{"relative volume destination", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nvolumes = [\"/srv:models\"]\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.volumes[0]: volume "/srv:models": container path "models" is not absolute; start it with "/"`},
	{"newline in image", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\\nExecStartPre=/bin/evil\"\n"}, `bind: nothing was written:
soulstones/a.toml:2: a.image: image "x/y:1\nExecStartPre=/bin/evil" contains the character U+000A; write a reference such as "docker.io/library/alpine:3.20" (only letters, digits and . _ - / : @ [ ] + are allowed)`},
	{"newline in description", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\ndescription = \"x\\n[Service]\\nExecStart=/bin/evil\"\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.description: description "x\n[Service]\nExecStart=/bin/evil" contains the control character U+000A; remove it (values must fit on one line)`},
	{"toml syntax error", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\n"}, `bind: nothing was written:
soulstones/a.toml:2: invalid TOML at column 15: basic strings cannot have new lines; fix the syntax (see https://toml.io)`},
	{"duplicate across files", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\n", "soulstones/b.toml": "\n[a]\nimage = \"x/y:2\"\n"}, `bind: nothing was written:
soulstones/b.toml:2: a: already defined by the soulstone at soulstones/a.toml:1; rename one of the two`},
	{"alliances not nested", map[string]string{"lychd.toml": "alliances = [\"a\", \"b\"]\n", "soulstones/t.toml": goodTTS}, `bind: nothing was written:
lychd.toml:1: alliances: expected an array of alliances, found an array of strings; wrap each alliance in its own brackets: alliances = [["a", "b"]]`},
	{"alliance of one", map[string]string{"lychd.toml": "alliances = [[\"xtts\"]]\n", "soulstones/t.toml": goodTTS}, `bind: nothing was written:
lychd.toml:1: alliances[0]: an alliance needs at least two covens; list the covens allowed to run at the same time, e.g. ["reasoning", "tts"], or remove it`},
	{"bad userns", map[string]string{"lychd.toml": "[pod]\nuserns = \"bogus\"\n"}, `bind: nothing was written:
lychd.toml:2: pod.userns: user namespace mode "bogus" is not supported; use "keep-id", "keep-id:uid=N,gid=N", "auto", "host" or "nomap"`},
	{"unknown top-level key", map[string]string{"lychd.toml": "alliance = [[\"a\", \"b\"]]\n"}, `bind: nothing was written:
lychd.toml:1: alliance: unknown key; did you mean "alliances"?`},
	{"portal without url", map[string]string{"portals/p.toml": "[openai]\ncapabilities = [\"OpenAIChatCompletions\"]\n"}, `bind: nothing was written:
portals/p.toml:1: openai.url: missing; every portal needs the URL of its API, e.g. url = "https://api.example.com/v1"`},
	{"portal bad url", map[string]string{"portals/p.toml": "[openai]\nurl = \"ftp://example.com\"\n"}, `bind: nothing was written:
portals/p.toml:2: openai.url: URL "ftp://example.com" has scheme "ftp"; use http or https`},
	{"bad coven name", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\ngroups = [\"Vision!\"]\n"}, `bind: nothing was written:
soulstones/a.toml:3: a.groups[0]: invalid coven name: name "Vision!" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
	{"stray file", map[string]string{"soulstones/notes.txt": "hello\n"}, `bind: nothing was written:
soulstones/notes.txt: is not a .toml file; lychd reads only soulstones/*.toml: rename it to end in .toml or move it out of soulstones/`},
	{"soulstone not a table", map[string]string{"soulstones/a.toml": "a = \"x/y:1\"\n"}, `bind: nothing was written:
soulstones/a.toml:1: a: expected a soulstone table, found a string; put the soulstone's keys under a [NAME] header, e.g. [vision] followed by image = "ghcr.io/ggml-org/llama.cpp:server"`},
	{"several errors at once", map[string]string{"soulstones/a.toml": "[a]\nimage = 5\n\n[b]\nimage = \"x/y:1\"\nport = 0\n"}, `bind: nothing was written:
soulstones/a.toml:2: a.image: expected a string, found an integer; write e.g. image = "ghcr.io/ggml-org/llama.cpp:server"
soulstones/a.toml:6: b.port: port 0 is out of range; use a number from 1 to 65535`},
	// Problems only visible across sources, found when flattening.
	{"alliance with unknown coven", map[string]string{"lychd.toml": "alliances = [[\"xtts\", \"vision\"]]\n", "soulstones/t.toml": goodTTS}, `bind: nothing was written:
lychd.toml: alliances: unknown coven "vision": no soulstone belongs to it (known covens: xtts); remove it from the alliance or add a soulstone with groups = ["vision"]`},
	{"port shared within a coven", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\ngroups = [\"g\"]\nport = 8081\n\n[b]\nimage = \"x/y:1\"\ngroups = [\"g\"]\nport = 8081\n"}, `bind: nothing was written:
port 8081 is declared by rune "a" (soulstones/a.toml:1) and rune "b" (soulstones/a.toml:6), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`},
	{"port shared across an alliance", map[string]string{"lychd.toml": "alliances = [[\"a\", \"b\"]]\n", "soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nport = 8081\n\n[b]\nimage = \"x/y:1\"\nport = 8081\n"}, `bind: nothing was written:
port 8081 is declared by rune "a" (soulstones/a.toml:1) and rune "b" (soulstones/a.toml:5), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`},
	{"port shared with core", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nport = 8000\n"}, `bind: nothing was written:
port 8000 is declared by rune "a" (soulstones/a.toml:1) and rune "vessel" (core), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied`},
	{"host port published twice", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nport = 8081\nexpose_port = true\nhost_port = 7134\n"}, `bind: nothing was written:
host port 7134 is published twice: by rune "a" (soulstones/a.toml:1) and by rune "vessel" (core); set a different host_port on one of them`},
	{"requires a hostile soulstone", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nrequires = [\"lychd-soulstone-b.service\"]\n\n[b]\nimage = \"x/y:1\"\n"}, `bind: nothing was written:
soulstones/a.toml:1: a.requires: lychd-soulstone-b.service can never run together with a ("a" is in coven "a", "b" in coven "b", and no alliance joins them); ally their covens in lychd.toml or remove the dependency`},
	{"requires chain to a hostile soulstone", map[string]string{"lychd.toml": "alliances = [[\"a\", \"c\"], [\"b\", \"c\"]]\n", "soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nrequires = [\"lychd-soulstone-c.service\"]\n\n[b]\nimage = \"x/y:1\"\n\n[c]\nimage = \"x/y:1\"\nrequires = [\"lychd-soulstone-b.service\"]\n"}, `bind: nothing was written:
soulstones/a.toml:1: a.requires: a requires c requires b, which can never run together with a ("a" is in coven "a", "b" in coven "b", and no alliance joins them), so a could never start: systemd starts everything a rune requires in one transaction; ally their covens in lychd.toml or remove one of these requires= entries`},
	{"requires two hostile soulstones", map[string]string{"lychd.toml": "alliances = [[\"a\", \"b\"], [\"a\", \"c\"]]\n", "soulstones/a.toml": "[a]\nimage = \"x/y:1\"\nrequires = [\"lychd-soulstone-b.service\", \"lychd-soulstone-c.service\"]\n\n[b]\nimage = \"x/y:1\"\n\n[c]\nimage = \"x/y:1\"\n"}, `bind: nothing was written:
soulstones/a.toml:1: a.requires: a requires b and a requires c, which can never run together ("b" is in coven "b", "c" in coven "c", and no alliance joins them), so a could never start: systemd starts everything a rune requires in one transaction; ally their covens in lychd.toml or remove one of these requires= entries`},
	{"coven whose member requires an enemy of another member", map[string]string{"soulstones/a.toml": "[m1]\nimage = \"x/y:1\"\ngroups = [\"c\", \"d\"]\nrequires = [\"lychd-soulstone-z.service\"]\n\n[m2]\nimage = \"x/y:1\"\ngroups = [\"c\"]\n\n[z]\nimage = \"x/y:1\"\ngroups = [\"d\"]\n"}, `bind: nothing was written:
soulstones/a.toml:1: m1.requires: m1 requires z, which can never run together with m2 ("z" is in coven "d", "m2" in coven "c", and no alliance joins them), and lychd-coven-c.target starts m1 and m2 together, so it could never start the whole coven; ally their covens in lychd.toml or remove one of these requires= entries`},
	{"after a misspelled soulstone", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\ngroups = [\"g\"]\nafter = [\"lychd-soulstone-bb.service\"]\n\n[b]\nimage = \"x/y:1\"\ngroups = [\"g\"]\n"}, `bind: nothing was written:
soulstones/a.toml:1: a.after: lychd-soulstone-bb.service is not a unit lychd generates (did you mean lychd-soulstone-b.service?); name a soulstone as lychd-soulstone-NAME.service or a coven of two or more as lychd-coven-NAME.target`},
	{"ordering cycle", map[string]string{"soulstones/a.toml": "[a]\nimage = \"x/y:1\"\ngroups = [\"g\"]\nafter = [\"lychd-soulstone-b.service\"]\n\n[b]\nimage = \"x/y:1\"\ngroups = [\"g\"]\nafter = [\"lychd-soulstone-a.service\"]\n"}, `bind: nothing was written:
ordering cycle through after= settings: lychd-soulstone-a.service -> lychd-soulstone-b.service -> lychd-soulstone-a.service; remove one of these after= entries`},
	{"soulstone named like a core rune", map[string]string{"soulstones/a.toml": "[vessel]\nimage = \"x/y:1\"\n"}, `bind: nothing was written:
soulstones/a.toml:1: vessel: invalid soulstone name: name "vessel" is taken by one of lychd's core runes (vessel, phylactery, oculus, migrate); pick another name`},
	{"animator named twice", map[string]string{"soulstones/a.toml": "[openai]\nimage = \"x/y:1\"\ntags = [\"vision\"]\n", "portals/p.toml": "[openai]\nurl = \"https://api.example.com/v1\"\n"}, `bind: nothing was written:
portals/p.toml:1: openai: already defined by the soulstone at soulstones/a.toml:1; soulstones and portals share one set of names, rename one of the two`},
}

func TestBadInputLeavesSiteUnchanged(t *testing.T) {
	if len(badInputs) < 30 {
		t.Fatalf("only %d bad-input cases", len(badInputs))
	}
	var printed strings.Builder
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, map[string]string{"soulstones/tts.toml": goodTTS, "soulstones/vision.toml": visionCodex})
			if err := e.run(t); err != nil {
				t.Fatalf("good bind: %v", err)
			}
			before := e.snapshot(t)
			e.writeCodex(t, tc.files)
			err := e.run(t)
			if err == nil {
				t.Fatalf("bind accepted a bad Codex; printed:\n%s", e.out.String())
			}
			if *printErrors {
				fmt.Fprintf(&printed, "== %s\n%s\n", tc.name, err)
			} else if got := err.Error(); got != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
			}
			if e.out.Len() != 0 {
				t.Errorf("a failed bind printed to stdout: %q", e.out.String())
			}
			sameSnapshot(t, before, e.snapshot(t))
		})
	}
	if *printErrors {
		t.Log("\n" + printed.String())
	}
}
