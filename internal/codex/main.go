package codex

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lychd/lychd/sdk/validate"
)

// Keys of lychd.toml.
var (
	mainKeys = []field{
		{"alliances", "array of arrays of coven names", `alliances = [["reasoning", "tts"]]`},
		{"pod", "table", `[pod] followed by userns = "keep-id"`},
		{"core", "table", `[core] followed by its settings`},
		{"extensions", "table", `[extensions.NAME] followed by its settings`},
		{"assimilation", "table", `[assimilation] followed by parallel = 4`},
		{"presets", "table", `[presets.NAME] followed by image and exec`},
	}
	mainAliases = map[string]string{
		"alliance": "alliances", "allies": "alliances", "allied": "alliances",
		"extension": "extensions", "plugins": "extensions", "plugin": "extensions",
		"preset": "presets", "engines": "presets",
	}
	podKeys = []field{
		{"userns", "string", `userns = "keep-id"`},
		{"publish_address", "string", `publish_address = "127.0.0.1"`},
		{"publish", "array of strings", `publish = ["8080:80"]`},
	}
	podAliases = map[string]string{
		"user_ns": "userns", "usernamespace": "userns", "user_namespace": "userns",
		"address": "publish_address", "bind_address": "publish_address", "publish_ip": "publish_address", "host_ip": "publish_address",
		"ports": "publish", "publish_ports": "publish", "publishport": "publish", "publish_port": "publish",
	}
	assimilationKeys = []field{
		{"start_timeout_seconds", "integer", `start_timeout_seconds = 10`},
		{"deadline_seconds", "integer", `deadline_seconds = 30`},
		{"parallel", "integer", `parallel = 4`},
	}
	assimilationAliases = map[string]string{
		"start_timeout": "start_timeout_seconds", "timeout": "start_timeout_seconds",
		"deadline":    "deadline_seconds",
		"parallelism": "parallel", "concurrency": "parallel", "jobs": "parallel",
	}
)

// Bounds of the [assimilation] settings.
const (
	maxSeconds  = 3600
	maxParallel = 64
)

// main decodes lychd.toml.
func (l *loader) main(d *doc) {
	l.c.mainPositions = d.pos
	var root keyPath
	for _, k := range d.sortedKeys(root, d.values) {
		p, v := root.child(k), d.values[k]
		switch k {
		case "alliances":
			l.alliances(d, p, v)
		case "pod":
			if m, ok := d.table(p, mainKeys[1], v); ok {
				l.pod(d, p, m)
			}
		case "core":
			if m, ok := d.table(p, mainKeys[2], v); ok {
				l.c.Core = d.toJSON(p, m)
			}
		case "extensions":
			if m, ok := d.table(p, mainKeys[3], v); ok {
				l.extensions(d, p, m)
			}
		case "assimilation":
			if m, ok := d.table(p, mainKeys[4], v); ok {
				l.assimilation(d, p, m)
			}
		case "presets":
			if m, ok := d.table(p, mainKeys[5], v); ok {
				l.presets(d, p, m)
			}
		default:
			d.unknownKey(p, k, mainKeys, mainAliases, "lychd.toml")
		}
	}
}

// alliances decodes alliances = [["a", "b"], ...].
func (l *loader) alliances(d *doc, p keyPath, v any) {
	f := mainKeys[0]
	arr, ok := v.([]any)
	if !ok {
		d.wrongType(p, f, v)
		return
	}
	if flat, ok := stringsOnly(arr); ok && len(flat) > 0 {
		d.errorf(p, "expected an array of alliances, found an array of strings; wrap each alliance in its own brackets: alliances = [[%s]]", strings.Join(flat, ", "))
		return
	}
	for i, e := range arr {
		ep := p.index(i)
		inner, ok := e.([]any)
		if !ok {
			if s, isStr := e.(string); isStr {
				d.errorf(ep, "expected an array of coven names, found a string; each alliance is its own list, e.g. alliances = [[%s, \"tts\"]]", strconv.Quote(s))
			} else {
				d.errorf(ep, "expected an array of coven names, found %s; write e.g. %s", typeName(e), f.example)
			}
			continue
		}
		covens := d.strList(ep, field{"alliances", "string", f.example}, inner, validate.CovenName)
		if len(covens) != len(inner) {
			continue // element problems already reported
		}
		if len(covens) < 2 {
			d.errorf(ep, "an alliance needs at least two covens; list the covens allowed to run at the same time, e.g. [\"reasoning\", \"tts\"], or remove it")
			continue
		}
		l.c.Alliances = append(l.c.Alliances, covens)
	}
}

// stringsOnly returns the elements of arr quoted when all are strings.
func stringsOnly(arr []any) ([]string, bool) {
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, strconv.Quote(s))
	}
	return out, true
}

// pod decodes [pod].
func (l *loader) pod(d *doc, p keyPath, m map[string]any) {
	var publish []string
	for _, k := range d.sortedKeys(p, m) {
		kp, v := p.child(k), m[k]
		switch k {
		case "userns":
			if s, ok := d.str(kp, podKeys[0], v, validate.UserNS); ok {
				l.c.Pod.UserNS = s
			}
		case "publish_address":
			if s, ok := d.str(kp, podKeys[1], v, validate.IPAddress); ok {
				l.c.Pod.PublishAddress = s
			}
		case "publish":
			publish = d.strList(kp, podKeys[2], v, validate.PublishPort)
			for _, err := range l.tally.Publish(len(publish)) {
				d.errorf(kp, "%v", err)
			}
		default:
			d.unknownKey(kp, k, podKeys, podAliases, "[pod]")
		}
	}
	addr := l.c.Pod.PublishAddress
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	for _, s := range publish {
		// Give entries without an address the pod's publish address, so
		// that every entry is a complete PublishPort= value.
		if ip, _, _, _, err := validate.ParsePublishPort(s); err == nil && ip == "" {
			s = addr + ":" + s
		}
		l.c.Pod.Publish = append(l.c.Pod.Publish, s)
	}
}

// extensions decodes [extensions.NAME] tables.
func (l *loader) extensions(d *doc, p keyPath, m map[string]any) {
	for _, name := range d.sortedKeys(p, m) {
		np := p.child(name)
		if err := validate.Name(name); err != nil {
			d.errorf(np, "invalid extension name: %v", err)
			continue
		}
		t, ok := d.table(np, field{name, "table", fmt.Sprintf("[extensions.%s] followed by its settings", name)}, m[name])
		if !ok {
			continue
		}
		if raw := d.toJSON(np, t); raw != nil {
			l.c.Extensions[name] = raw
		}
	}
}

// assimilation decodes [assimilation].
func (l *loader) assimilation(d *doc, p keyPath, m map[string]any) {
	a := &l.c.Assimilation
	startSet := false
	for _, k := range d.sortedKeys(p, m) {
		kp, v := p.child(k), m[k]
		switch k {
		case "start_timeout_seconds":
			if n, ok := d.integer(kp, assimilationKeys[0], v, 1, maxSeconds, k); ok {
				a.StartTimeout = time.Duration(n) * time.Second
				startSet = true
			}
		case "deadline_seconds":
			if n, ok := d.integer(kp, assimilationKeys[1], v, 1, maxSeconds, k); ok {
				a.Deadline = time.Duration(n) * time.Second
			}
		case "parallel":
			if n, ok := d.integer(kp, assimilationKeys[2], v, 1, maxParallel, k); ok {
				a.Parallel = n
			}
		default:
			d.unknownKey(kp, k, assimilationKeys, assimilationAliases, "[assimilation]")
		}
	}
	if a.Deadline < a.StartTimeout {
		which := p.child("deadline_seconds")
		if _, set := m["deadline_seconds"]; !set && startSet {
			which = p.child("start_timeout_seconds")
		}
		d.errorf(which, "deadline_seconds (%d) is shorter than start_timeout_seconds (%d); the deadline covers the start, make it at least as long",
			int(a.Deadline/time.Second), int(a.StartTimeout/time.Second))
	}
}
