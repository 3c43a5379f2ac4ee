package validate

import (
	"strings"
	"testing"
	"time"
)

// check runs fn on every input and compares the error text exactly ("" means
// the value is valid).
func check(t *testing.T, fn func(string) error, cases map[string]string) {
	t.Helper()
	for in, want := range cases {
		err := fn(in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("input %q:\n got: %s\nwant: %s", in, got, want)
		}
	}
}

func TestName(t *testing.T) {
	how := `use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`
	check(t, Name, map[string]string{
		"a":                     "",
		"vision-analyzer":       "",
		"xtts2":                 "",
		strings.Repeat("a", 63): "",
		"":                      "name is empty; " + how,
		strings.Repeat("a", 64): `name "` + strings.Repeat("a", 64) + `" is 64 characters long; ` + how,
		"1vision":               `name "1vision" does not start with a lower-case letter; ` + how,
		"-vision":               `name "-vision" does not start with a lower-case letter; ` + how,
		"Vision":                `name "Vision" does not start with a lower-case letter; ` + how,
		"visIon":                `name "visIon" has an upper-case letter; use "vision" instead`,
		"vision_analyzer":       `name "vision_analyzer" contains '_'; ` + how,
		"vision.service":        `name "vision.service" contains '.'; ` + how,
		"a/b":                   `name "a/b" contains '/'; ` + how,
		"a%i":                   `name "a%i" contains '%'; ` + how,
		"a\nb":                  `name "a\nb" contains the character U+000A; ` + how,
		"a b":                   `name "a b" contains a space; ` + how,
		"a\xffb":                `name "a\xffb" contains the invalid byte 0xff; ` + how,
		"vision--x":             `name "vision--x" contains "--"; use single dashes between words`,
		"vision-":               `name "vision-" ends with "-"; end it with a letter or digit`,
	})
}

func TestRuneNames(t *testing.T) {
	check(t, AlwaysOnName, map[string]string{
		"proxy":        "",
		"podman":       "",
		"soulstone":    "",
		"covenant":     "",
		"pod":          `name "pod" would give the always-on rune the unit lychd-pod.service, which is the pod's own; pick another name`,
		"soulstone-x":  `name "soulstone-x" starts with "soulstone-", which lychd keeps for its own units (lychd-soulstone-NAME); pick another name for the always-on rune`,
		"coven-vision": `name "coven-vision" starts with "coven-", which lychd keeps for its own units (lychd-coven-NAME); pick another name for the always-on rune`,
		"hold-a":       `name "hold-a" starts with "hold-", which lychd keeps for its own units (lychd-hold-NAME); pick another name for the always-on rune`,
		"Pod":          `name "Pod" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`,
	})
	check(t, NotCoreRune, map[string]string{
		"vision":     "",
		"vessel":     `name "vessel" is taken by one of lychd's core runes (vessel, phylactery, oculus, migrate); pick another name`,
		"phylactery": `name "phylactery" is taken by one of lychd's core runes (vessel, phylactery, oculus, migrate); pick another name`,
		"oculus":     `name "oculus" is taken by one of lychd's core runes (vessel, phylactery, oculus, migrate); pick another name`,
		"harvester":  `name "harvester" is taken by one of lychd's core runes, the Watchers (harvester, grafana), even while [core.watchers] is off; pick another name`,
		"grafana":    `name "grafana" is taken by one of lychd's core runes, the Watchers (harvester, grafana), even while [core.watchers] is off; pick another name`,
		"grafana-x":  "",
	})
}

func TestUnitName(t *testing.T) {
	how := `write a full unit name such as "lychd-soulstone-NAME.service" or "network-online.target"`
	long := strings.Repeat("a", 250) + ".service"
	check(t, UnitName, map[string]string{
		"lychd-soulstone-vision-preprocessor.service": "",
		"network-online.target":                       "",
		"getty@tty1.service":                          "",
		"dev-dri-card0.device":                        "",
		"home.mount":                                  "",
		`sys-devices-x\x2dy.device`:                   `unit name "sys-devices-x\\x2dy.device" contains a backslash; escaped unit names (systemd-escape) are not supported, name a unit that needs no escaping`,
		"":                                            "unit name is empty; " + how,
		long:                                          `unit name "` + long[:80] + `"... is 258 characters long; systemd allows at most 255`,
		"/etc/systemd/x.service":                      `unit name "/etc/systemd/x.service" contains "/"; name the unit, not its file path (e.g. "foo.service")`,
		"lychd-%i.service":                            `unit name "lychd-%i.service" contains "%"; systemd specifiers are not allowed, write the name out in full`,
		"a b.service":                                 `unit name "a b.service" contains a space; unit names use only letters, digits and : _ . @ -`,
		"a\n.service":                                 `unit name "a\n.service" contains the character U+000A; unit names use only letters, digits and : _ . @ -`,
		"lychd-soulstone-vision":                      `unit name "lychd-soulstone-vision" has no unit type suffix; ` + how + ` (known suffixes: .service .target .socket .mount .path .timer .device .slice .scope .swap .automount)`,
		"x.container":                                 `unit name "x.container" has no unit type suffix; ` + how + ` (known suffixes: .service .target .socket .mount .path .timer .device .slice .scope .swap .automount)`,
		".service":                                    `unit name ".service" has only a suffix; ` + how,
		"-x.service":                                  `unit name "-x.service" starts with "-"; start it with a letter or digit`,
		"a@b@c.service":                               `unit name "a@b@c.service" contains more than one "@"; a template instance looks like "name@instance.service"`,
		"@x.service":                                  `unit name "@x.service" has an empty template name before "@"; write "name@instance.service"`,
	})
}

func TestCDIDevice(t *testing.T) {
	how := `write a CDI name such as "nvidia.com/gpu=all" (list yours with "nvidia-ctk cdi list" or look in /etc/cdi)`
	check(t, CDIDevice, map[string]string{
		"nvidia.com/gpu=all":           "",
		"nvidia.com/gpu=0":             "",
		"nvidia.com/gpu=GPU-1a2b:mig1": "",
		"vendor.example_x/class-1=a.b": "",
		"":                             "device is empty; " + how,
		"-nvidia.com/gpu=all":          `device "-nvidia.com/gpu=all" starts with "-"; Quadlet would treat it as an optional device path and drop it, remove the "-"`,
		"nvidia.com/gpu":               `device "nvidia.com/gpu" is not a CDI name of the form vendor/class=name; ` + how,
		"gpu=all":                      `device "gpu=all" is not a CDI name of the form vendor/class=name; ` + how,
		"a=b/c":                        `device "a=b/c" is not a CDI name of the form vendor/class=name; ` + how,
		"/gpu=all":                     `device "/gpu=all": the vendor is empty; ` + how,
		"1nvidia.com/gpu=all":          `device "1nvidia.com/gpu=all": the vendor "1nvidia.com" does not start with a letter; ` + how,
		"nvidia.com./gpu=all":          `device "nvidia.com./gpu=all": the vendor "nvidia.com." does not end with a letter or digit; ` + how,
		"nv idia.com/gpu=all":          `device "nv idia.com/gpu=all": the vendor "nv idia.com" contains a space; ` + how,
		"nvidia.com/=all":              `device "nvidia.com/=all": the class is empty; ` + how,
		"nvidia.com/g/pu=all":          `device "nvidia.com/g/pu=all": the class "g/pu" contains '/'; ` + how,
		"nvidia.com/gpu=":              `device "nvidia.com/gpu=": the device name after "=" is empty; ` + how,
		"nvidia.com/gpu=:0":            `device "nvidia.com/gpu=:0": the device name ":0" does not start and end with a letter or digit; ` + how,
		"nvidia.com/gpu=a=b":           `device "nvidia.com/gpu=a=b": the device name "a=b" contains '='; ` + how,
	})
}

func TestDevice(t *testing.T) {
	how := `write a device path such as "/dev/dri" or "/dev/dri:/dev/dri:rw", or a CDI name such as "nvidia.com/gpu=all"`
	check(t, Device, map[string]string{
		"nvidia.com/gpu=all":    "",
		"/dev/dri":              "",
		"/dev/kfd:/dev/kfd":     "",
		"/dev/dri:/dev/dri:rwm": "",
		"-nvidia.com/gpu=all":   `device "-nvidia.com/gpu=all" starts with "-"; Quadlet would treat it as an optional device path and drop it, remove the "-"`,
		"/etc/passwd":           `device "/etc/passwd": the host path "/etc/passwd" is not under /dev/; ` + how,
		"/dev/":                 `device "/dev/": the host path "/dev/" is not under /dev/; ` + how,
		"/dev/dri:dri":          `device "/dev/dri:dri": the container path "dri" is not under /dev/; ` + how,
		"/dev/../etc/shadow":    `device "/dev/../etc/shadow": the path "/dev/../etc/shadow" contains ".."; write the path without ".."`,
		"/dev/dri:/dev/dri:rx":  `device "/dev/dri:/dev/dri:rx": permissions "rx" must combine r, w and m (e.g. "rw"); ` + how,
		"/dev/dri:/dev/dri:":    `device "/dev/dri:/dev/dri:": permissions "" must combine r, w and m (e.g. "rw"); ` + how,
		"/dev/a:/dev/b:r:w":     `device "/dev/a:/dev/b:r:w" has more than three ":"-separated parts; ` + how,
		"/dev/dri\n":            `device "/dev/dri\n" contains the control character U+000A; remove it (values must fit on one line)`,
		// Quadlet splits AddDevice= on white space and removes quotes: none
		// of these may reach it.
		"/dev/dri/renderD128":               "",
		"/dev/bus/usb/001/002":              "",
		"/dev/nvidia-caps+x_y.z":            "",
		"/dev/dri /etc/shadow":              `device "/dev/dri /etc/shadow" contains a space; Quadlet splits device values on white space and removes quotes and backslashes, so a device path may use only letters, digits and / . _ + -`,
		"/dev/dri -/dev/kvm":                `device "/dev/dri -/dev/kvm" contains a space; Quadlet splits device values on white space and removes quotes and backslashes, so a device path may use only letters, digits and / . _ + -`,
		`/dev/dri"/x"`:                      `device "/dev/dri\"/x\"" contains '"'; Quadlet splits device values on white space and removes quotes and backslashes, so a device path may use only letters, digits and / . _ + -`,
		`/dev/dri'/x'`:                      `device "/dev/dri'/x'" contains '\''; Quadlet splits device values on white space and removes quotes and backslashes, so a device path may use only letters, digits and / . _ + -`,
		`/dev/dri\x20`:                      `device "/dev/dri\\x20" contains '\\'; Quadlet splits device values on white space and removes quotes and backslashes, so a device path may use only letters, digits and / . _ + -`,
		"/dev/$HOME":                        `device "/dev/$HOME" contains '$'; Quadlet splits device values on white space and removes quotes and backslashes, so a device path may use only letters, digits and / . _ + -`,
		"/dev/dri:/dev/dri\u00a0":           `device "/dev/dri:/dev/dri\u00a0" contains the character U+00A0; Quadlet splits device values on white space and removes quotes and backslashes, so a device path may use only letters, digits and / . _ + -`,
		"/dev/" + strings.Repeat("d", 4092): `device is 4097 bytes long; the limit is 4096`,
	})
}

func TestImage(t *testing.T) {
	how := `write a reference such as "docker.io/library/alpine:3.20"`
	long := strings.Repeat("a", 1025)
	check(t, Image, map[string]string{
		"...":                                    "",
		"docker.io/library/alpine:3.20":          "",
		"ghcr.io/ggml-org/llama.cpp:server-cuda": "",
		"quay.io/x/y@sha256:0123abcd":            "",
		"[::1]:5000/img:tag":                     "",
		"vision.image.example.com/x":             "",
		"vision.image":                           `image "vision.image" ends in ".image"; Quadlet reads such an image as the name of one of its own .image units, which lychd does not write, and would generate no service: write a reference such as "docker.io/library/alpine:3.20"`,
		"x.build":                                `image "x.build" ends in ".build"; Quadlet reads such an image as the name of one of its own .build units, which lychd does not write, and would generate no service: write a reference such as "docker.io/library/alpine:3.20"`,
		"":                                       "image is empty; " + how,
		long:                                     "image reference is 1025 characters long; the limit is 1024",
		"-v":                                     `image "-v" starts with "-"; Podman would read it as an option, ` + how,
		"alpine latest":                          `image "alpine latest" contains a space; ` + how + ` (only letters, digits and . _ - / : @ [ ] + are allowed)`,
		"alpine\n":                               `image "alpine\n" contains the character U+000A; ` + how + ` (only letters, digits and . _ - / : @ [ ] + are allowed)`,
		"%h/img":                                 `image "%h/img" contains '%'; ` + how + ` (only letters, digits and . _ - / : @ [ ] + are allowed)`,
		"img$X":                                  `image "img$X" contains '$'; ` + how + ` (only letters, digits and . _ - / : @ [ ] + are allowed)`,
		"imagé":                                  `image "imagé" contains 'é'; ` + how + ` (only letters, digits and . _ - / : @ [ ] + are allowed)`,
	})
}

func TestPort(t *testing.T) {
	for n, want := range map[int]string{
		1:     "",
		8081:  "",
		65535: "",
		0:     "port 0 is out of range; use a number from 1 to 65535",
		-1:    "port -1 is out of range; use a number from 1 to 65535",
		65536: "port 65536 is out of range; use a number from 1 to 65535",
	} {
		got := ""
		if err := Port(n); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("Port(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestStartTimeout(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second:             "",
		15 * time.Minute:        "",
		24 * time.Hour:          "",
		0:                       "start timeout 0s is not a whole number of seconds from 1s to 24h; pulling the image on first start counts, so allow for it (e.g. 15m)",
		-time.Second:            "start timeout -1s is not a whole number of seconds from 1s to 24h; pulling the image on first start counts, so allow for it (e.g. 15m)",
		1500 * time.Millisecond: "start timeout 1.5s is not a whole number of seconds from 1s to 24h; pulling the image on first start counts, so allow for it (e.g. 15m)",
		25 * time.Hour:          "start timeout 25h0m0s is not a whole number of seconds from 1s to 24h; pulling the image on first start counts, so allow for it (e.g. 15m)",
	} {
		got := ""
		if err := StartTimeout(d); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("StartTimeout(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestVolume(t *testing.T) {
	how := `write "SRC:DST[:OPTIONS]" with SRC an absolute host path or a volume name, e.g. "/srv/models:/models:ro,Z" or "models:/models"`
	check(t, Volume, map[string]string{
		"/srv/models:/models":      "",
		"/srv/models:/models:ro,Z": "",
		"models:/models":           "",
		"models.volumes:/models:U": "",
		"models.volume:/models:U":  `volume "models.volume:/models:U": volume name "models.volume" ends in ".volume"; Quadlet reads it as the name of one of its own .volume units, which lychd does not write, and would generate no service: drop the ".volume"`,
		"/srv/a\"b:/x":             `volume "/srv/a\"b:/x": host path "/srv/a\"b" contains '"'; Quadlet copies the host path into the unit's RequiresMountsFor=, where systemd reads quotes, backslashes and "$" differently from Podman: use a path without them (link the directory from one)`,
		"/srv/a'b:/x":              `volume "/srv/a'b:/x": host path "/srv/a'b" contains '\''; Quadlet copies the host path into the unit's RequiresMountsFor=, where systemd reads quotes, backslashes and "$" differently from Podman: use a path without them (link the directory from one)`,
		"/srv/a\\b:/x":             `volume "/srv/a\\b:/x": host path "/srv/a\\b" contains '\\'; Quadlet copies the host path into the unit's RequiresMountsFor=, where systemd reads quotes, backslashes and "$" differently from Podman: use a path without them (link the directory from one)`,
		"/srv/${PATH}x:/x":         `volume "/srv/${PATH}x:/x": host path "/srv/${PATH}x" contains '$'; Quadlet copies the host path into the unit's RequiresMountsFor=, where systemd reads quotes, backslashes and "$" differently from Podman: use a path without them (link the directory from one)`,
		"/srv/a:/x'y$Z\\w":         "",
		`/srv/a:/x"`:               `volume "/srv/a:/x\"" contains a double quote, which Quadlet strips at the ends of values; use a path without it`,
		"/srv/a:/x\\":              `volume "/srv/a:/x\\" ends in a backslash, which Quadlet and systemd read as a line continuation; remove it`,
		"/srv/a:/x\u00a0":          `volume "/srv/a:/x\u00a0" ends in white space, which Quadlet and systemd strip; remove it`,
		"":                         "volume is empty; " + how,
		"/models":                  `volume "/models" has no container path; ` + how,
		"a:/b:ro:x":                `volume "a:/b:ro:x" has more than three ":"-separated parts; ` + how,
		":/models":                 `volume ":/models" has an empty source; ` + how,
		"~/models:/models":         `volume "~/models:/models": source "~/models" starts with "~", which Podman does not expand; write the absolute path`,
		"./models:/models":         `volume "./models:/models": source "./models" is a relative path; write the absolute path`,
		"_x:/models":               `volume "_x:/models": volume name "_x" must start with a letter or digit; ` + how,
		"models/sub:/models":       `volume "models/sub:/models": source "models/sub" is neither an absolute path nor a volume name (it contains '/'); ` + how,
		"/srv/models:models":       `volume "/srv/models:models": container path "models" is not absolute; start it with "/"`,
		"/srv/my models:/models":   `volume "/srv/my models:/models" contains a space; paths with spaces are not supported, link the directory from a path without spaces`,
		"%h/models:/models":        `volume "%h/models:/models" contains "%"; systemd specifiers are not allowed, write the absolute path out`,
		"/a:/b:ro,,Z":              `volume "/a:/b:ro,,Z" has an empty option; separate options with single commas, e.g. "ro,Z"`,
		"/a:/b:-ro":                `volume "/a:/b:-ro": option "-ro" starts with "-"; write options such as "ro" or "Z"`,
		"/a\n:/b":                  `volume "/a\n:/b" contains the control character U+000A; remove it (values must fit on one line)`,
	})
}

func TestHostPath(t *testing.T) {
	why := `; Quadlet copies the host path into the unit's RequiresMountsFor=, where systemd reads quotes, backslashes and "$" differently from Podman: use a path without them (link the directory from one)`
	check(t, HostPath, map[string]string{
		"/srv/models":   "",
		"/srv/ü_x-1.2+": "",
		"srv":           `host path "srv" is not absolute; start it with "/"`,
		"/srv/${PATH}x": `host path "/srv/${PATH}x" contains '$'` + why,
		`/srv/a"b`:      `host path "/srv/a\"b" contains '"'` + why,
		"/srv/a'b":      `host path "/srv/a'b" contains '\''` + why,
		`/srv/a\b`:      `host path "/srv/a\\b" contains '\\'` + why,
		"/srv/a b":      `host path "/srv/a b" contains a space; paths with spaces are not supported, link the directory from a path without spaces`,
		"/srv/%h":       `host path "/srv/%h" contains "%"; systemd specifiers are not allowed, write the absolute path out`,
		"/srv/a:b":      `host path "/srv/a:b" contains ":", which separates the parts of a volume; link the directory from a path without it`,
		"/srv/a\u00a0":  `host path "/srv/a\u00a0" ends in white space, which Quadlet and systemd strip; remove it`,
		"/srv/a\n":      `host path "/srv/a\n" contains the control character U+000A; remove it (values must fit on one line)`,
	})
}

func TestEnv(t *testing.T) {
	how := `use letters, digits and "_", not starting with a digit (e.g. "HF_HOME")`
	check(t, EnvName, map[string]string{
		"HF_HOME":                "",
		"_x1":                    "",
		"":                       "environment variable name is empty; " + how,
		"1X":                     `environment variable name "1X" does not start with a letter or "_"; ` + how,
		"A-B":                    `environment variable name "A-B" contains '-'; ` + how,
		"A=B":                    `environment variable name "A=B" contains '='; ` + how,
		strings.Repeat("A", 256): "environment variable name is 256 bytes long; the limit is 255",
	})
	check(t, EnvValue, map[string]string{
		"":                                 "",
		strings.Repeat("x", MaxValueLen+1): "value is 8193 bytes long; the limit is 8192 bytes (put longer text in a file and mount it)",
		"a b $HOME %h \"'":                 "",
		"line\nbreak":                      `value "line\nbreak" contains the control character U+000A; remove it (values must fit on one line)`,
		"tab\there":                        `value "tab\there" contains the control character U+0009; remove it (values must fit on one line)`,
		"bad\xff":                          `value is not valid UTF-8 (at byte 3); save the file as UTF-8`,
	})
	check(t, ExecArg, map[string]string{
		"--model=/models/x.gguf":           "",
		"a;b":                              "",
		"":                                 "argument is empty; Quadlet drops an empty argument together with every argument after it, leave it out or use a placeholder",
		";":                                `argument ";" cannot be passed: Quadlet writes it unquoted into the service, where systemd reads it as a command separator; attach it to a neighbouring argument (e.g. "--sep=;")`,
		strings.Repeat("x", MaxValueLen):   "",
		strings.Repeat("x", MaxValueLen+1): "argument is 8193 bytes long; the limit is 8192 bytes (put longer text in a file and mount it)",
		"a\x00b":                           `argument "a\x00b" contains the control character U+0000; remove it (values must fit on one line)`,
	})
}

func TestDescription(t *testing.T) {
	check(t, Description, map[string]string{
		" lead":                     `description " lead" starts with white space, which Quadlet and systemd strip; remove it`,
		"trail\u00a0":               `description "trail\u00a0" ends in white space, which Quadlet and systemd strip; remove it`,
		`ends\`:                     `description "ends\\" ends in a backslash, which Quadlet and systemd read as a line continuation; remove it`,
		`in\side`:                   "",
		"":                          "",
		"Vision model (Qwen2.5-VL)": "",
		strings.Repeat("x", 1025):   "description is 1025 bytes long; keep it to one line of at most 1024 bytes",
		"two\nlines":                `description "two\nlines" contains the control character U+000A; remove it (values must fit on one line)`,
	})
}

func TestCapabilityTag(t *testing.T) {
	capHow := `start with a letter and use letters, digits, "_", "." and "-", at most 64 characters (e.g. "OpenAIChatCompletions")`
	check(t, Capability, map[string]string{
		"OpenAIChatCompletions": "",
		"TTS":                   "",
		"openai.v1-chat_x":      "",
		"":                      "capability is empty; " + capHow,
		"1tts":                  `capability "1tts" does not start with a letter; ` + capHow,
		"chat completions":      `capability "chat completions" contains a space; ` + capHow,
		strings.Repeat("A", 65): `capability "` + strings.Repeat("A", 65) + `" is 65 characters long; ` + capHow,
	})
	tagHow := `start with a letter and use letters, digits, "_", "." and "-", at most 64 characters (e.g. "vision")`
	check(t, Tag, map[string]string{
		"vision": "",
		"ocr":    "",
		"a/b":    `tag "a/b" contains '/'; ` + tagHow,
	})
}

func TestURL(t *testing.T) {
	how := `write an absolute URL such as "https://api.example.com/v1"`
	check(t, URL, map[string]string{
		"https://api.openai.com/v1": "",
		"http://127.0.0.1:8080":     "",
		"http://[::1]:8080/v1?x=y":  "",
		"":                          "URL is empty; " + how,
		"api.openai.com/v1":         `URL "api.openai.com/v1" has no scheme; ` + how,
		"ftp://x.org/":              `URL "ftp://x.org/" has scheme "ftp"; use http or https`,
		"https:///v1":               `URL "https:///v1" has no host; ` + how,
		"https://:80/":              `URL "https://:80/" has no host; ` + how,
		"https://x.org:99999/":      `URL "https://x.org:99999/" has port 99999 out of range; use a port from 1 to 65535`,
		"https://x.org/a b":         `URL "https://x.org/a b" contains whitespace; percent-encode it as %20 or remove it`,
		"https://x.org/\n":          `URL "https://x.org/\n" contains the control character U+000A; remove it (values must fit on one line)`,
		"http://x.org/%zz":          `URL "http://x.org/%zz" does not parse (invalid URL escape "%zz"); ` + how,
	})
}

func TestUserNS(t *testing.T) {
	how := `use "keep-id", "keep-id:uid=N,gid=N", "auto", "host" or "nomap"`
	check(t, UserNS, map[string]string{
		"keep-id":                   "",
		"auto":                      "",
		"host":                      "",
		"nomap":                     "",
		"keep-id:uid=1000,gid=1000": "",
		"keep-id:uid=0":             "",
		"":                          "user namespace mode is empty; " + how,
		"keepid":                    `user namespace mode "keepid" is not supported; ` + how,
		"keep-id:size=10":           `user namespace mode "keep-id:size=10" has option "size=10"; keep-id takes only uid=N and gid=N, e.g. "keep-id:uid=1000,gid=1000"`,
		"keep-id:uid=1,uid=2":       `user namespace mode "keep-id:uid=1,uid=2" sets uid twice; give it once`,
		"keep-id:uid=x":             `user namespace mode "keep-id:uid=x": uid="x" is not a user or group id; use a decimal number such as 1000`,
		"keep-id:gid=4294967295":    `user namespace mode "keep-id:gid=4294967295": gid="4294967295" is not a user or group id; use a decimal number such as 1000`,
		"keep-id:uid=":              `user namespace mode "keep-id:uid=": uid="" is not a user or group id; use a decimal number such as 1000`,
	})
}

func TestIPAddress(t *testing.T) {
	check(t, IPAddress, map[string]string{
		"127.0.0.1": "",
		"0.0.0.0":   "",
		"::1":       "",
		"localhost": `address "localhost" is not an IP address; use e.g. "127.0.0.1" (this host only) or "0.0.0.0" (all interfaces)`,
		"":          `address "" is not an IP address; use e.g. "127.0.0.1" (this host only) or "0.0.0.0" (all interfaces)`,
	})
}

func TestPublishPort(t *testing.T) {
	how := `write "HOST:CONTAINER" or "IP:HOST:CONTAINER", optionally with "/tcp" or "/udp", e.g. "8080:80"`
	check(t, PublishPort, map[string]string{
		"8080:80":                 "",
		"8080:80/udp":             "",
		"127.0.0.1:5432:5432/tcp": "",
		"[::1]:8080:80":           "",
		"80":                      `port mapping "80" is not of the form HOST:CONTAINER; ` + how,
		"a:b:c:d":                 `port mapping "a:b:c:d" is not of the form HOST:CONTAINER; ` + how,
		"8080:80/sctp":            `port mapping "8080:80/sctp" has protocol "sctp"; use "tcp" or "udp"`,
		"x:80":                    `port mapping "x:80": "x" is not a port number; ` + how,
		"+80:80":                  `port mapping "+80:80": "+80" is not a port number; ` + how,
		"0:80":                    `port mapping "0:80": port 0 is out of range; use a number from 1 to 65535`,
		"host:80:80":              `port mapping "host:80:80": "host" is not an IPv4 address (write IPv6 addresses in brackets); ` + how,
		"[::1:80:80":              `port mapping "[::1:80:80" has an unterminated IPv6 address; ` + how,
		"[1.2.3.4]:80:80":         `port mapping "[1.2.3.4]:80:80": "1.2.3.4" is not an IPv6 address; ` + how,
	})
	ip, h, c, proto, err := ParsePublishPort("[::1]:8080:80/udp")
	if err != nil || ip != "::1" || h != 8080 || c != 80 || proto != "udp" {
		t.Errorf("ParsePublishPort = %q %d %d %q %v", ip, h, c, proto, err)
	}
}
