package codex

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/lychd/lychd/internal/engine"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/preset"
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
		{"secrets", "array of strings", `secrets = ["hf-token,type=env,target=HF_TOKEN"]`},
		{"capabilities", "array of strings", `capabilities = ["OpenAIChatCompletions"]`},
		{"tags", "array of strings", `tags = ["vision"]`},
		{"engine", "string", `engine = "vllm"`},
		{"model", "string", `model = "Qwen/Qwen2.5-7B-Instruct"`},
		{"extra_args", "array of strings", `extra_args = ["--max-model-len", "8192"]`},
		{"health_cmd", "array of strings", `health_cmd = ["curl", "-fsS", "http://127.0.0.1:8081/health"]`},
		{"shm_size", "string", `shm_size = "16g"`},
		{"memory", "string", `memory = "16g"`},
		{"resident", "boolean", `resident = true`},
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
		"preset": "engine", "engines": "engine", "backend": "engine", "runtime": "engine",
		"models": "model", "model_path": "model", "model_id": "model",
		"extra_arguments": "extra_args", "extraargs": "extra_args", "args_extra": "extra_args",
		"healthcheck": "health_cmd", "health_check": "health_cmd", "health": "health_cmd", "healthcmd": "health_cmd",
		"shm": "shm_size", "shmsize": "shm_size", "shm-size": "shm_size",
		"mem": "memory", "memory_limit": "memory", "mem_limit": "memory", "ram": "memory",
		"always_on": "resident", "pinned": "resident",
		"secret": "secrets", "podman_secrets": "secrets",
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
		r, vr, caps, tags, res, pending, ok := soulstone(d, p, name, t, l.registry, true)
		if !l.define(d, p, "soulstone", name, src) || !ok {
			continue
		}
		if pending {
			// An extension may register the engine: ResolveEngines
			// decodes the soulstone again once they have.
			l.pending = append(l.pending, pendingSoulstone{d: d, p: p, name: name, t: t, src: src})
			continue
		}
		l.add(d, p, name, src, r, vr, caps, tags, res)
	}
}

// add records a decoded soulstone.
func (l *loader) add(d *doc, p keyPath, name string, src model.Source, r model.Rune, vr validate.Rune, caps, tags []string, res *engine.Resolved) {
	for _, err := range l.tally.Add(vr) {
		d.errorf(p, "%v", err)
	}
	r.Source = src
	l.c.Runes = append(l.c.Runes, r)
	if res != nil {
		l.c.Engines[name] = *res
	}
	if len(caps) > 0 || len(tags) > 0 {
		l.c.Animators = append(l.c.Animators, model.Animator{
			Name: name, Kind: model.AnimatorSoulstone, Rune: name,
			Capabilities: caps, Tags: tags, Source: src,
		})
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

// soulstone decodes the table of one soulstone and checks it with the
// SDK's rules (validate.CheckRune), reporting each problem at the key it is
// about. ok is false when a problem was reported.
//
// With deferUnknown, a soulstone whose engine the registry does not know
// is not decoded further: pending is true, and nothing is reported.
func soulstone(d *doc, p keyPath, name string, t map[string]any, reg *engine.Registry, deferUnknown bool) (r model.Rune, vr validate.Rune, caps, tags []string, res *engine.Resolved, pending, ok bool) {
	before := len(*d.errs)
	vr = validate.Rune{Name: name}
	// at maps a list field's entries to their indexes in the TOML array
	// (entries of the wrong type are reported and left out).
	at := map[string][]int{}
	hasImage, exposeValid := false, true
	// decoded is false for a key whose value had the wrong type: that is
	// reported, and the rules must not report its zero value again.
	decoded := map[string]bool{}
	ek := engineKeys{set: map[string]bool{}}
	var health []string
	var shm, memory string
	resident, residentOK := false, true
	for _, k := range d.sortedKeys(p, t) {
		ek.set[k] = true
		kp, v := p.child(k), t[k]
		f := fieldByName(soulstoneKeys, k)
		switch k {
		case validate.FieldImage:
			vr.Image, decoded[k] = d.str(kp, f, v, nil)
			hasImage = true
		case validate.FieldDescription:
			vr.Description, decoded[k] = d.str(kp, f, v, nil)
		case validate.FieldGroups:
			vr.Groups, at[k] = d.strings(kp, f, v)
		case validate.FieldAfter:
			vr.After, at[k] = d.strings(kp, f, v)
		case validate.FieldWants:
			vr.Wants, at[k] = d.strings(kp, f, v)
		case validate.FieldRequires:
			vr.Requires, at[k] = d.strings(kp, f, v)
		case validate.FieldPort:
			vr.Port = d.port(kp, f, v)
		case validate.FieldExposePort:
			vr.ExposePort, exposeValid = d.boolean(kp, f, v)
		case validate.FieldHostPort:
			vr.HostPort = d.port(kp, f, v)
		case validate.FieldDevices:
			vr.Devices, at[k] = d.strings(kp, f, v)
		case validate.FieldVolumes:
			vr.Volumes, at[k] = d.strings(kp, f, v)
		case validate.FieldEnvironment:
			if m, isTable := d.table(kp, f, v); isTable {
				vr.Environment = environment(d, kp, m)
			}
		case validate.FieldExec:
			vr.Exec, at[k] = d.strings(kp, f, v)
		case validate.FieldSecrets:
			vr.Secrets, at[k] = d.strings(kp, f, v)
		case validate.FieldStartTimeout:
			if n, isInt := v.(int64); !isInt {
				d.wrongType(kp, f, v)
			} else if err := validate.StartTimeoutSeconds(n); err != nil {
				d.errorf(kp, "%v", err)
			} else {
				vr.StartTimeout = time.Duration(n) * time.Second
			}
		case "capabilities":
			caps = d.strList(kp, f, v, validate.Capability)
		case "tags":
			tags = d.strList(kp, f, v, validate.Tag)
		case "engine":
			if ek.engine, decoded[k] = d.str(kp, f, v, nil); decoded[k] && ek.engine == "" {
				d.errorf(kp, "is empty; name a preset, e.g. %s, or remove the key and give an image", f.example)
				decoded[k] = false
			}
		case "model":
			ek.model, decoded[k] = d.str(kp, f, v, nil)
		case "extra_args":
			ek.extraArgs, at[k] = d.strings(kp, f, v)
			decoded[k] = true
		case "health_cmd":
			health, at[k] = d.strings(kp, f, v)
			for i, a := range health {
				if err := validate.ExecArg(a); err != nil {
					d.errorf(kp.index(at[k][i]), "%v", err)
				}
			}
		case "shm_size":
			shm, _ = d.str(kp, f, v, preset.ValidateShmSize)
		case "memory":
			memory, _ = d.str(kp, f, v, preset.ValidateMemory)
		case "resident":
			resident, residentOK = d.boolean(kp, f, v)
		default:
			if s := d.unknownKey(kp, k, soulstoneKeys, soulstoneAliases, "a soulstone"); s == "image" || s == "engine" {
				hasImage = true // the misspelt key is reported; do not report image missing too
			}
		}
	}
	usesEngine := ek.set["engine"]
	switch {
	case !hasImage && !usesEngine:
		d.errorf(p.child("image"), "missing; every soulstone needs a container image, e.g. %s, or an engine preset, e.g. engine = \"vllm\" with model = \"Qwen/Qwen2.5-7B-Instruct\"", soulstoneKeys[0].example)
	case !usesEngine && ek.set["model"]:
		d.errorf(p.child("model"), "set without engine; model is passed to an engine preset: add e.g. engine = \"vllm\", or pass the model in exec")
	case !usesEngine && ek.set["extra_args"]:
		d.errorf(p.child("extra_args"), "set without engine; extra_args extends an engine preset's arguments: add e.g. engine = \"vllm\", or list every argument in exec")
	}
	if resident && residentOK && len(vr.Groups) > 0 {
		d.errorf(p.child("groups"), "set with resident = true; a resident soulstone runs beside everything and belongs to no coven: remove groups, or remove resident")
	}
	var resolved engine.Resolved
	engineOK := false
	if usesEngine && decoded["engine"] && len(*d.errs) == before {
		if _, _, known := reg.Lookup(ek.engine); !known && deferUnknown {
			return r, vr, caps, tags, nil, true, true
		}
		if resolved, engineOK = resolveEngine(d, p, reg, &vr, &caps, &health, shm, ek); engineOK {
			hasImage, decoded[validate.FieldImage] = true, true
			// The resolved lists are the preset's merged with the
			// soulstone's: a rule's problem names the element's index.
			for _, f := range []string{validate.FieldExec, validate.FieldDevices, validate.FieldVolumes} {
				at[f] = nil
				for i := range entryList(vr, f) {
					at[f] = append(at[f], i)
				}
			}
			shm = resolved.ShmSize
		}
	}
	if usesEngine && !engineOK {
		return r, vr, caps, tags, nil, false, false
	}
	if !exposeValid {
		vr.HostPort = 0 // expose_port is reported; do not report host_port too
	}
	for _, pr := range validate.CheckRune(vr, validate.FromCodex) {
		switch {
		case pr.Field == validate.FieldImage && (!hasImage || !decoded[pr.Field]):
			continue // reported as missing or of the wrong type
		case pr.Field == validate.FieldName:
			d.errorf(p, "invalid soulstone name: %v", pr.Err)
		case pr.Field == "":
			d.errorf(p, "%v", pr.Err)
		case errors.Is(pr.Err, validate.ErrHostPortNotExposed):
			d.errorf(p.child(pr.Field), "set without expose_port = true; add expose_port = true to publish the port on the host, or remove host_port")
		case errors.Is(pr.Err, validate.ErrNoPortToExpose):
			d.errorf(p.child(pr.Field), "there is no port to expose; add port = N (the port the container listens on)")
		case pr.Index >= 0 && pr.Other >= 0:
			lp := p.child(pr.Field)
			d.errorf(lp.index(at[pr.Field][pr.Index]), "%s is listed twice (also at %s); list it once", strconv.Quote(entry(vr, pr)), lp.index(at[pr.Field][pr.Other]))
		case pr.Index >= 0:
			d.errorf(p.child(pr.Field).index(at[pr.Field][pr.Index]), "%v", pr.Err)
		case pr.Env != "":
			d.errorf(p.child(pr.Field).child(pr.Env), "%v", pr.Err)
		default:
			d.errorf(p.child(pr.Field), "%v", pr.Err)
		}
	}
	r = model.Rune{
		Name: name, Kind: model.KindSoulstone, Description: vr.Description, Image: vr.Image,
		Groups: vr.Groups, After: vr.After, Wants: vr.Wants, Requires: vr.Requires,
		Port: vr.Port, ExposePort: vr.ExposePort, HostPort: vr.HostPort,
		Devices: vr.Devices, Volumes: vr.Volumes, Exec: vr.Exec, StartTimeout: vr.StartTimeout,
		Secrets: model.ParseSecrets(vr.Secrets),
	}
	for _, e := range vr.Environment {
		r.Environment = append(r.Environment, model.EnvVar{Name: e.Name, Value: e.Value})
	}
	if r.ExposePort && r.HostPort == 0 {
		r.HostPort = r.Port
	}
	r.ShmSize, r.Memory, r.Resident = shm, memory, resident
	if engineOK {
		r.Engine, r.Model = resolved.Engine, resolved.Model
		applyHealth(&r, resolved.Health)
		res = &resolved
	} else {
		engine.OwnHealth(&r, health)
	}
	return r, vr, caps, tags, res, false, len(*d.errs) == before
}

// entryList returns the list field f of r.
func entryList(r validate.Rune, f string) []string {
	switch f {
	case validate.FieldExec:
		return r.Exec
	case validate.FieldDevices:
		return r.Devices
	case validate.FieldVolumes:
		return r.Volumes
	}
	return nil
}

// entry returns the list entry a problem is about.
func entry(r validate.Rune, pr validate.Problem) string {
	lists := map[string][]string{
		validate.FieldGroups: r.Groups, validate.FieldAfter: r.After, validate.FieldWants: r.Wants,
		validate.FieldRequires: r.Requires, validate.FieldDevices: r.Devices,
		validate.FieldVolumes: r.Volumes, validate.FieldExec: r.Exec,
		validate.FieldSecrets: r.Secrets,
	}
	return lists[pr.Field][pr.Index]
}

// port decodes a port number; 0 (none) when it is not a valid port, which
// is reported.
func (d *doc) port(path keyPath, f field, v any) int {
	n, ok := v.(int64)
	if !ok {
		d.wrongType(path, f, v)
		return 0
	}
	if err := validate.Port(int(max(min(n, 1<<31-1), -1<<31))); err != nil {
		d.errorf(path, "%v", err)
		return 0
	}
	return int(n)
}

// environment decodes the environment table into variables sorted by name.
// Values that are not strings are reported and left out; the rules are
// CheckRune's.
func environment(d *doc, p keyPath, m map[string]any) []validate.EnvVar {
	var env []validate.EnvVar
	for k, v := range m {
		kp := p.child(k)
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
		env = append(env, validate.EnvVar{Name: k, Value: s})
	}
	sort.Slice(env, func(i, j int) bool { return env[i].Name < env[j].Name })
	return env
}
