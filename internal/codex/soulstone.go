package codex

import (
	"fmt"
	"sort"
	"time"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/validate"
)

// Keys of a soulstone table.
var (
	soulstoneKeys = []field{
		{"image", "string", `image = "ghcr.io/ggml-org/llama.cpp:server"`},
		{"description", "string", `description = "Vision model"`},
		{"groups", "array of strings", `groups = ["vision"]`},
		{"after", "array of strings", `after = ["lychd-soulstone-NAME.service"]`},
		{"wants", "array of strings", `wants = ["lychd-soulstone-NAME.service"]`},
		{"requires", "array of strings", `requires = ["lychd-soulstone-NAME.service"]`},
		{"port", "integer", `port = 8081`},
		{"expose_port", "boolean", `expose_port = true`},
		{"host_port", "integer", `host_port = 8081`},
		{"devices", "array of strings", `devices = ["nvidia.com/gpu=all"]`},
		{"volumes", "array of strings", `volumes = ["/srv/models:/models:ro"]`},
		{"environment", "table", `environment = { HF_HOME = "/models" }`},
		{"exec", "array of strings", `exec = ["--model", "/models/model.gguf"]`},
		{"start_timeout_seconds", "integer", `start_timeout_seconds = 900`},
		{"capabilities", "array of strings", `capabilities = ["OpenAIChatCompletions"]`},
		{"tags", "array of strings", `tags = ["vision"]`},
	}
	soulstoneAliases = map[string]string{
		"img": "image", "container_image": "image",
		"desc":  "description",
		"group": "groups", "coven": "groups", "covens": "groups",
		"depends_on": "requires", "depends": "requires", "dependencies": "requires", "require": "requires",
		"want":  "wants",
		"ports": "port", "container_port": "port", "internal_port": "port",
		"expose": "expose_port", "exposed": "expose_port", "publish": "expose_port",
		"hostport": "host_port", "published_port": "host_port", "external_port": "host_port", "publish_port": "host_port",
		"gpu": "devices", "gpus": "devices", "device": "devices", "cdi": "devices", "cdi_devices": "devices",
		"volume": "volumes", "mount": "volumes", "mounts": "volumes", "binds": "volumes",
		"env": "environment", "envs": "environment", "env_vars": "environment", "environment_variables": "environment", "variables": "environment",
		"cmd": "exec", "command": "exec", "args": "exec", "arguments": "exec",
		"capability": "capabilities", "caps": "capabilities",
		"tag": "tags", "labels": "tags",
		"start_timeout": "start_timeout_seconds", "timeout": "start_timeout_seconds", "timeout_start_sec": "start_timeout_seconds", "timeoutstartsec": "start_timeout_seconds",
	}
)

// fieldByName returns the field called name in fields.
func fieldByName(fields []field, name string) field {
	for _, f := range fields {
		if f.name == name {
			return f
		}
	}
	return field{name: name, kind: "value", example: name + " = ..."}
}

// soulstones decodes one soulstones/*.toml file: one table per soulstone.
func (l *loader) soulstones(d *doc) {
	var root keyPath
	for _, name := range d.sortedKeys(root, d.values) {
		p := root.child(name)
		t, ok := d.values[name].(map[string]any)
		if !ok {
			notATable(d, p, "soulstone", d.values[name])
			continue
		}
		if err := validate.Name(name); err != nil {
			d.errorf(p, "invalid soulstone name: %v", err)
			continue
		}
		src := model.Source{Kind: model.SourceCodex, Name: d.file, Line: d.pos.line(p)}
		r, caps, tags, ok := soulstone(d, p, name, t)
		if !l.define(d, p, "soulstone", name, src) || !ok {
			continue
		}
		r.Source = src
		l.c.Runes = append(l.c.Runes, r)
		if len(caps) > 0 || len(tags) > 0 {
			l.c.Animators = append(l.c.Animators, model.Animator{
				Name: name, Kind: model.AnimatorSoulstone, Rune: name,
				Capabilities: caps, Tags: tags, Source: src,
			})
		}
	}
}

// notATable reports a top-level value of a soulstone or portal file that
// is not a table.
func notATable(d *doc, p keyPath, kind string, v any) {
	if _, isArr := v.([]any); isArr && typeName(v) == "an array of tables" {
		d.errorf(p, "expected a table, found an array of tables; write [%s], not [[%s]]", p, p)
		return
	}
	d.errorf(p, "expected a %s table, found %s; put the %s's keys under a [NAME] header, e.g. [vision] followed by %s", kind, typeName(v), kind, firstExample(kind))
}

func firstExample(kind string) string {
	if kind == "portal" {
		return portalKeys[0].example
	}
	return soulstoneKeys[0].example
}

// soulstone decodes the table of one soulstone. ok is false when a problem
// was reported.
func soulstone(d *doc, p keyPath, name string, t map[string]any) (r model.Rune, caps, tags []string, ok bool) {
	before := len(*d.errs)
	r = model.Rune{Name: name, Kind: model.KindSoulstone}
	hasImage, hasPort, hasHostPort, exposeValid := false, false, false, true
	for _, k := range d.sortedKeys(p, t) {
		kp, v := p.child(k), t[k]
		f := fieldByName(soulstoneKeys, k)
		switch k {
		case "image":
			r.Image, _ = d.str(kp, f, v, validate.Image)
			hasImage = true
		case "description":
			r.Description, _ = d.str(kp, f, v, validate.Description)
		case "groups":
			r.Groups = d.strList(kp, f, v, covenName)
		case "after":
			r.After = d.strList(kp, f, v, validate.UnitName)
		case "wants":
			r.Wants = d.strList(kp, f, v, validate.UnitName)
		case "requires":
			r.Requires = d.strList(kp, f, v, validate.UnitName)
		case "port":
			r.Port, _ = d.integer(kp, f, v, 1, 65535, "a port")
			hasPort = true
		case "expose_port":
			r.ExposePort, exposeValid = d.boolean(kp, f, v)
		case "host_port":
			r.HostPort, _ = d.integer(kp, f, v, 1, 65535, "a port")
			hasHostPort = true
		case "devices":
			r.Devices = d.strList(kp, f, v, validate.Device)
		case "volumes":
			r.Volumes = d.strList(kp, f, v, validate.Volume)
		case "environment":
			if m, isTable := d.table(kp, f, v); isTable {
				r.Environment = environment(d, kp, m)
			}
		case "exec":
			r.Exec = d.strList(kp, f, v, validate.ExecArg)
		case "start_timeout_seconds":
			n, _ := d.integer(kp, f, v, 1, int64(validate.MaxStartTimeout/time.Second), "a start timeout in seconds (an image pull on first start counts)")
			r.StartTimeout = time.Duration(n) * time.Second
		case "capabilities":
			caps = d.strList(kp, f, v, validate.Capability)
		case "tags":
			tags = d.strList(kp, f, v, validate.Tag)
		default:
			if d.unknownKey(kp, k, soulstoneKeys, soulstoneAliases, "a soulstone") == "image" {
				hasImage = true // the misspelt key is reported; do not report image missing too
			}
		}
	}
	if !hasImage {
		d.errorf(p.child("image"), "missing; every soulstone needs a container image, e.g. %s", soulstoneKeys[0].example)
	}
	if hasHostPort && !r.ExposePort && exposeValid {
		d.errorf(p.child("host_port"), "set without expose_port = true; add expose_port = true to publish the port on the host, or remove host_port")
	}
	if r.ExposePort && !hasPort {
		d.errorf(p.child("expose_port"), "there is no port to expose; add port = N (the port the container listens on)")
	}
	if r.ExposePort && r.HostPort == 0 {
		r.HostPort = r.Port
	}
	return r, caps, tags, len(*d.errs) == before
}

// environment decodes the environment table into variables sorted by name.
func environment(d *doc, p keyPath, m map[string]any) []model.EnvVar {
	var env []model.EnvVar
	for k, v := range m {
		kp := p.child(k)
		if err := validate.EnvName(k); err != nil {
			d.errorf(kp, "%v", err)
			continue
		}
		s, ok := v.(string)
		if !ok {
			example := "\"...\""
			switch v.(type) {
			case int64, float64, bool:
				example = fmt.Sprintf("%q", fmt.Sprint(v))
			}
			d.errorf(kp, "expected a string, found %s; quote the value: %s = %s", typeName(v), kp[len(kp)-1].key, example)
			continue
		}
		if err := validate.EnvValue(s); err != nil {
			d.errorf(kp, "%v", err)
			continue
		}
		env = append(env, model.EnvVar{Name: k, Value: s})
	}
	sort.Slice(env, func(i, j int) bool { return env[i].Name < env[j].Name })
	return env
}
