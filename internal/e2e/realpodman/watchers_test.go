package realpodman

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
)

// TestWatchers: with [core.watchers] on, lychd bind and lychd start bring
// the Harvester and Grafana up in the pod, from stand-in images. Inside the
// Harvester, the prometheus.yml that bind wrote into the generation is
// mounted read-only, through the "current" link, readable by Prometheus's
// user nobody; Grafana sees the provisioning and dashboards bind installed
// in the Crypt; both run as their images' users (as Prometheus's and
// Grafana's images do) and write their named volumes; the pod publishes
// Grafana on the host port asked for and keeps the Harvester inside.
func TestWatchers(t *testing.T) {
	b := bed(t)
	var grafana int
	ports := freeCorePorts(t, &grafana)
	codex := map[string]string{
		"lychd.toml": lychdToml(ports, "") + fmt.Sprintf(`
[core.watchers]
enabled = true
harvester_image = %q
grafana_image = %q
grafana_host_port = %d
`, HarvesterImage, GrafanaImage, grafana),
		"soulstones/solo.toml": fmt.Sprintf("[solo]\nimage = %q\nport = 8101\nenvironment = { NAME = \"solo\", PORT = \"8101\" }\n", Image),
	}
	b.WriteCodex(t, codex)
	lychdInit(t, b)
	b.MustLychd(t, "bind")
	b.MustLychd(t, "start", "solo")

	cs := b.Containers(t)
	want := append(slices.Clone(coreContainers), "lychd-grafana", "lychd-harvester", "lychd-soulstone-solo")
	slices.Sort(want)
	if got := Running(cs); !slices.Equal(got, want) {
		t.Fatalf("running containers = %v, want %v", got, want)
	}
	infra, _ := ByName(cs, "lychd-infra")
	for _, name := range []string{"lychd-harvester", "lychd-grafana"} {
		if c, _ := ByName(cs, name); c.Pod != infra.Pod {
			t.Errorf("%s is in pod %.12q, want lychd's pod %.12q", name, c.Pod, infra.Pod)
		}
	}

	bound := b.MustUser(t, "cat", path.Join(CryptDir, "bindings", "current", "config", "prometheus.yml"))
	mounted := b.MustUser(t, "podman", "exec", "--user", "65534:65534", "lychd-harvester", "cat", "/etc/lychd-harvester/prometheus.yml")
	if mounted != bound || !strings.Contains(mounted, "lychd_soulstone: solo") {
		t.Errorf("the Harvester reads:\n%s\nthe generation holds:\n%s", mounted, bound)
	}
	if _, _, err := b.User(t, "podman", "exec", "lychd-harvester", "touch", "/etc/lychd-harvester/prometheus.yml"); err == nil {
		t.Error("the Harvester can write its configuration")
	}
	dashboards := b.MustUser(t, "podman", "exec", "--user", "472:472", "lychd-grafana", "ls", "/etc/lychd-grafana/dashboards", "/etc/lychd-grafana/provisioning/datasources")
	for _, f := range []string{"lychd-vessel.json", "soulstone-vllm.json", "lychd.yaml"} {
		if !strings.Contains(dashboards, f) {
			t.Errorf("Grafana does not see %s:\n%s", f, dashboards)
		}
	}
	// Each runs as its image's user, in the keep-id pod too, and can
	// write its named volume, which Podman gives that user.
	for name, c := range map[string]struct{ ids, dir string }{
		"lychd-harvester": {"uid=65534\ngid=65534\n", "/prometheus"},
		"lychd-grafana":   {"uid=472\ngid=0\n", "/var/lib/grafana"},
	} {
		if info := b.MustUser(t, "podman", "exec", name, "cat", "/tmp/www/info"); !strings.Contains(info, c.ids) {
			t.Errorf("%s runs as\n%s\nwant %q", name, info, c.ids)
		}
		b.MustUser(t, "podman", "exec", name, "touch", c.dir+"/written")
	}
	volumes := strings.Fields(b.MustUser(t, "podman", "volume", "ls", "--format", "{{.Name}}"))
	for _, v := range []string{"lychd-grafana", "lychd-harvester"} {
		if !slices.Contains(volumes, v) {
			t.Errorf("volumes %v lack %s", volumes, v)
		}
	}

	// A bind that changes the configuration: the running Harvester keeps
	// the file it started with, and reads the new one once restarted, as
	// bind says.
	codex["soulstones/other.toml"] = fmt.Sprintf("[other]\nimage = %q\nport = 8102\n", Image)
	b.WriteCodex(t, codex)
	out := b.MustLychd(t, "bind")
	if !strings.Contains(out, "systemctl --user restart lychd-harvester.service") {
		t.Errorf("lychd bind does not say how to apply the new configuration:\n%s", out)
	}
	if again := b.MustUser(t, "podman", "exec", "lychd-harvester", "cat", "/etc/lychd-harvester/prometheus.yml"); again != mounted {
		t.Errorf("the running Harvester's configuration changed under it:\n%s", again)
	}
	b.Systemctl(t, "restart", "lychd-harvester.service")
	bound = b.MustUser(t, "cat", path.Join(CryptDir, "bindings", "current", "config", "prometheus.yml"))
	if again := b.MustUser(t, "podman", "exec", "lychd-harvester", "cat", "/etc/lychd-harvester/prometheus.yml"); again != bound || !strings.Contains(again, "lychd_soulstone: other") {
		t.Errorf("the restarted Harvester reads:\n%s\nthe generation holds:\n%s", again, bound)
	}

	WaitPage(t, grafana, "/", "hello from grafana\n", pageWait)
	ps := b.MustUser(t, "podman", "pod", "inspect", "lychd", "--format", "{{json .InfraConfig.PortBindings}}")
	if strings.Contains(ps, "9091") || !strings.Contains(ps, fmt.Sprintf(`"HostPort":"%d"`, grafana)) {
		t.Errorf("pod port bindings %s: want Grafana on %d and no Harvester", ps, grafana)
	}
}
