package doctor

// The checks of what the manifest needs from the machine: CDI devices,
// bind mount sources, host ports, images and secrets.

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"tags.cncf.io/container-device-interface/pkg/cdi"

	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/podman"
	"github.com/lychd/lychd/internal/unitname"
)

// needsManifest runs check on the manifest, or says why there is none.
func needsManifest(name string, check func(context.Context, *Env) []Result) func(context.Context, *Env) []Result {
	return func(ctx context.Context, e *Env) []Result {
		if e.Manifest == nil {
			return []Result{warn(name, "fix the problems above, then run lychd doctor again", "not checked: %v", e.ManifestErr)}
		}
		return check(ctx, e)
	}
}

// owner names a rune for messages: "soulstone vision", "core rune
// vessel" or "one-shot migrate".
func owner(r model.Rune) string {
	switch r.Kind {
	case model.KindSoulstone:
		return "soulstone " + r.Name
	case model.KindOneShot:
		return "one-shot " + r.Name
	}
	return "core rune " + r.Name
}

func checkDevices(_ context.Context, e *Env) []Result {
	type use struct {
		device string
		rune   model.Rune
	}
	var uses []use
	seen := map[string]bool{}
	for _, r := range e.Manifest.SortedRunes() {
		for _, d := range r.Devices {
			if !seen[d] {
				seen[d] = true
				uses = append(uses, use{d, r})
			}
		}
	}
	if len(uses) == 0 {
		return []Result{ok("devices", "%s names no devices", e.ManifestFrom)}
	}
	var cache *cdi.Cache
	var out []Result
	for _, u := range uses {
		name := "device " + u.device
		if strings.HasPrefix(u.device, "/") {
			found, err := e.Host.Exists(u.device)
			switch {
			case err != nil:
				out = append(out, fail(name, "check the permissions of "+u.device, "cannot look for %s (%s): %v", u.device, owner(u.rune), err))
			case !found:
				out = append(out, fail(name, "install the device's driver, or remove the device from "+owner(u.rune)+" ("+u.rune.Source.String()+")",
					"%s (%s) does not exist on this machine", u.device, owner(u.rune)))
			default:
				out = append(out, ok(name, "present (%s)", owner(u.rune)))
			}
			continue
		}
		if cache == nil {
			c, err := cdi.NewCache(cdi.WithSpecDirs(e.CDISpecDirs...), cdi.WithAutoRefresh(false))
			if err == nil {
				err = c.Refresh()
			}
			// A spec with errors is reported with the devices it
			// leaves out; the others resolve.
			_ = err
			cache = c
		}
		if d := cache.GetDevice(u.device); d != nil {
			out = append(out, ok(name, "CDI spec %s (%s)", d.GetSpec().GetPath(), owner(u.rune)))
			continue
		}
		msg := fmt.Sprintf("no CDI spec in %s defines %s (%s)", strings.Join(e.CDISpecDirs, ", "), u.device, owner(u.rune))
		if bad := specErrors(cache); bad != "" {
			msg += "; specs with errors: " + bad
		}
		fix := "install the CDI spec of the device's vendor into " + firstOr(e.CDISpecDirs, cdi.DefaultStaticDir)
		if strings.HasPrefix(u.device, "nvidia.com/") {
			fix = "sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml (NVIDIA Container Toolkit)"
		}
		out = append(out, Result{Check: name, Status: StatusFail, Message: msg, Fix: fix})
	}
	return out
}

// specErrors lists the CDI spec files the library refused, with the first
// error of each.
func specErrors(c *cdi.Cache) string {
	errs := c.GetErrors()
	files := make([]string, 0, len(errs))
	for f := range errs {
		files = append(files, f)
	}
	sort.Strings(files)
	var parts []string
	for _, f := range files {
		if len(errs[f]) > 0 {
			parts = append(parts, fmt.Sprintf("%s: %v", f, errs[f][0]))
		}
	}
	return strings.Join(parts, "; ")
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// hostPort is one port the pod publishes on the host.
type hostPort struct {
	network, addr string
	port          int
	// who publishes it, for messages.
	who string
}

// address is the address to listen on, e.g. "127.0.0.1:8080".
func (h hostPort) address() string {
	return net.JoinHostPort(h.addr, strconv.Itoa(h.port))
}

// String is the address with "/udp" for a UDP port.
func (h hostPort) String() string {
	if h.network == "udp" {
		return h.address() + "/udp"
	}
	return h.address()
}

// publishedPorts lists the host ports of manifest m's pod, as the Scribe
// publishes them.
func publishedPorts(m *model.Manifest) []hostPort {
	addr := m.Pod.PublishAddress
	if addr == "" {
		addr = codex.DefaultPublishAddress
	}
	var out []hostPort
	for _, p := range m.Pod.Publish {
		out = append(out, parsePublish(p)...)
	}
	for _, r := range m.SortedRunes() {
		if !r.ExposePort {
			continue
		}
		hp := r.HostPort
		if hp == 0 {
			hp = r.Port
		}
		out = append(out, hostPort{network: "tcp", addr: addr, port: hp, who: owner(r)})
	}
	return out
}

// parsePublish reads the host side of a PublishPort= value
// ([[IP]:][HOST]:CONTAINER[/PROTO], HOST and CONTAINER possibly ranges).
// A value without a host port publishes on a port Podman picks: nothing to
// check.
func parsePublish(spec string) []hostPort {
	who := "[pod] publish " + strconv.Quote(spec)
	network := "tcp"
	if s, proto, found := strings.Cut(spec, "/"); found {
		spec, network = s, proto
	}
	ip := ""
	if strings.HasPrefix(spec, "[") {
		end := strings.Index(spec, "]")
		if end < 0 {
			return nil
		}
		ip, spec = spec[1:end], strings.TrimPrefix(spec[end+1:], ":")
	} else if parts := strings.Split(spec, ":"); len(parts) == 3 {
		ip, spec = parts[0], parts[1]+":"+parts[2]
	}
	host, _, found := strings.Cut(spec, ":")
	if !found || host == "" {
		return nil
	}
	lo, hi := host, host
	if a, b, isRange := strings.Cut(host, "-"); isRange {
		lo, hi = a, b
	}
	from, err1 := strconv.Atoi(lo)
	to, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || to < from {
		return nil
	}
	var out []hostPort
	for p := from; p <= to; p++ {
		out = append(out, hostPort{network: network, addr: ip, port: p, who: who})
	}
	return out
}

func checkPorts(ctx context.Context, e *Env) []Result {
	ports := publishedPorts(e.Manifest)
	if len(ports) == 0 {
		return []Result{ok("ports", "%s publishes no ports", e.ManifestFrom)}
	}
	podRuns := -1 // unknown until a port is taken
	var out []Result
	for _, p := range ports {
		name := "port " + p.String()
		err := e.Host.Listen(p.network, p.address())
		if err == nil {
			out = append(out, ok(name, "free (%s)", p.who))
			continue
		}
		if podRuns < 0 {
			podRuns = 0
			if st, perr := e.Host.Run(ctx, "podman", "pod", "inspect", unitname.PodName, "--format", "{{.State}}"); perr == nil && firstLine(string(st)) == "Running" {
				podRuns = 1
			}
		}
		if podRuns == 1 {
			out = append(out, ok(name, "published by lychd's running pod (%s)", p.who))
			continue
		}
		out = append(out, fail(name, fmt.Sprintf("stop what listens there (`ss -lntup 'sport = :%d'` shows it), or change the host port of %s", p.port, p.who),
			"%s cannot be published: %v", p, err))
	}
	return out
}

func checkImages(ctx context.Context, e *Env) []Result {
	var out []Result
	// Each image once, named with every rune that runs it (the Vessel's
	// image also runs the migrate one-shot).
	var images []model.Rune
	owners := map[string][]string{}
	for _, r := range e.Manifest.SortedRunes() {
		if len(owners[r.Image]) == 0 {
			images = append(images, r)
		}
		owners[r.Image] = append(owners[r.Image], owner(r))
	}
	owner := func(r model.Rune) string { return strings.Join(owners[r.Image], ", ") }
	for _, r := range images {
		name := "image " + r.Image
		_, err := e.Host.Run(ctx, "podman", "image", "exists", r.Image)
		if notInstalled(err) {
			return []Result{warn("images", "install Podman (see the podman check)", "not checked: podman is not installed")}
		}
		if err == nil {
			out = append(out, ok(name, "present (%s)", owner(r)))
			continue
		}
		if code, ran := exitCode(err); ran && code == 1 {
			if strings.HasPrefix(r.Image, "localhost/") {
				out = append(out, fail(name, "build or load it as "+e.User.Name+": podman build -t "+r.Image+" DIR, or podman load -i FILE",
					"%s (%s) is not in %s's image store, and a localhost/ image cannot be pulled", r.Image, owner(r), e.User.Name))
			} else {
				out = append(out, warn(name, "podman pull "+r.Image+" (or let the first start pull it)",
					"not present: Podman pulls it when %s first starts", owner(r)))
			}
			continue
		}
		out = append(out, fail(name, "make `podman image exists "+r.Image+"` work for "+e.User.Name, "cannot ask podman about %s: %v", r.Image, err))
	}
	if len(out) == 0 {
		return []Result{ok("images", "%s names no images", e.ManifestFrom)}
	}
	return out
}

func checkSecrets(ctx context.Context, e *Env) []Result {
	var uses []SecretUse
	if e.Secrets != nil {
		uses = e.Secrets(e.Manifest)
	}
	var out []Result
	seen := map[string]bool{}
	for _, u := range uses {
		if seen[u.Name] {
			continue
		}
		seen[u.Name] = true
		name := "secret " + u.Name
		_, err := e.Host.Run(ctx, "podman", "secret", "exists", u.Name)
		if notInstalled(err) {
			return []Result{warn("secrets", "install Podman (see the podman check)", "not checked: podman is not installed")}
		}
		if err == nil {
			out = append(out, ok(name, "present (%s)", u.Who))
			continue
		}
		if code, ran := exitCode(err); ran && code == 1 {
			fix := podman.CreateCommand(u.Name) + " (type the value, then Ctrl-D)"
			if u.Core {
				fix = "lychd init (it creates the secrets lychd's core needs)"
			}
			out = append(out, fail(name, fix, "%s needs the Podman secret %s, and %s has none of that name", u.Who, u.Name, e.User.Name))
			continue
		}
		out = append(out, fail(name, "make `podman secret exists "+u.Name+"` work for "+e.User.Name, "cannot ask podman about the secret %s: %v", u.Name, err))
	}
	if len(out) == 0 {
		return []Result{ok("secrets", "%s needs no secrets", e.ManifestFrom)}
	}
	return out
}

// checkMounts checks that the source of every bind mount of the
// manifest's runes exists: Podman refuses to start a container whose bind
// mount source is missing. Named volumes (a source that is not a path)
// are Podman's to create and are not checked. The core's sources, which
// start with %h, are read under Env.Home.
func checkMounts(_ context.Context, e *Env) []Result {
	var out []Result
	n := 0
	seen := map[string]bool{}
	for _, r := range e.Manifest.SortedRunes() {
		for _, v := range r.Volumes {
			src, _, _ := strings.Cut(v, ":")
			display := src
			if rest, ok := strings.CutPrefix(src, "%h"); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
				src = e.Home + rest
				display = "~" + rest
			}
			if !strings.HasPrefix(src, "/") || seen[src] {
				continue
			}
			seen[src] = true
			n++
			found, err := e.Host.Exists(src)
			switch {
			case err != nil:
				out = append(out, warn("mount "+display, "ls -ld "+src, "cannot tell whether %s (%s) exists: %v", display, owner(r), unwrapOp(err)))
			case !found && r.Source.Kind == model.SourceCore:
				out = append(out, fail("mount "+display, "lychd init (it creates every directory lychd's core mounts)",
					"%s does not exist: Podman refuses to start %s, which mounts it", display, owner(r)))
			case !found:
				out = append(out, fail("mount "+display, "mkdir -p "+src+" and put in it what the container expects, or remove the volume from "+owner(r)+" ("+r.Source.String()+")",
					"%s does not exist: Podman refuses to start %s, which mounts it", display, owner(r)))
			}
		}
	}
	switch {
	case n == 0:
		return []Result{ok("mounts", "%s mounts no host directory", e.ManifestFrom)}
	case len(out) == 0:
		return []Result{ok("mounts", "the %d host directories %s mounts exist", n, e.ManifestFrom)}
	}
	return out
}
