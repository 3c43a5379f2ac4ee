package watchers

import (
	"net"
	"strconv"
	"time"
)

// Recommended images, pinned: the configuration lychd writes is checked
// against these versions' formats.
const (
	// HarvesterImage is Prometheus; the tag matches the promtool the
	// tests use when it is available (see scripts/ensure-promtool.sh).
	HarvesterImage = "docker.io/prom/prometheus:v3.16.0"
	// GrafanaImage is Grafana OSS; grafana/grafana-oss is no longer
	// updated since 12.4.0, grafana/grafana carries the same images.
	GrafanaImage = "docker.io/grafana/grafana:12.4.0"
)

// EnvVar is one environment variable of a RuneSpec.
type EnvVar struct {
	Name  string
	Value string
}

// RuneSpec describes one Watchers container as plain values for a core
// rune: the caller adds it to lychd.pod like the other core runes.
type RuneSpec struct {
	Name        string
	Description string
	Image       string
	// Port is the port the container listens on inside the pod.
	Port int
	// Exec replaces the image's command (both images keep their
	// entrypoint: /bin/prometheus and Grafana's run script).
	Exec []string
	// Environment is sorted by name.
	Environment []EnvVar
	// Volumes are "SRC:DST:OPTIONS" specs.
	Volumes []string
	// HealthCmd runs inside the container without a shell (busybox wget is
	// in both images).
	HealthCmd    []string
	StartTimeout time.Duration
}

// HarvesterRune is the Prometheus container. configFile is the host path
// of Generate's PrometheusFile, mounted read-only as a single file:
// Prometheus reads the content it had when the container started, so a new
// configuration takes effect when the Harvester restarts. dataVolume is the
// named volume that keeps the time series across restarts (Podman gives a
// new named volume to the container's user, Prometheus's "nobody").
// Prometheus listens on 127.0.0.1:HarvesterPort, where Grafana reaches it
// inside the pod, or on every address of the pod's network namespace when
// listenAll is set, so that the pod can publish it on the host.
func HarvesterRune(configFile, dataVolume string, listenAll bool) RuneSpec {
	host := "127.0.0.1"
	if listenAll {
		host = "0.0.0.0"
	}
	return RuneSpec{
		Name:        "harvester",
		Description: "The LychD Harvester (Prometheus)",
		Image:       HarvesterImage,
		Port:        HarvesterPort,
		Exec: []string{
			"--config.file=" + HarvesterConfigFile,
			"--storage.tsdb.path=/prometheus",
			"--web.listen-address=" + net.JoinHostPort(host, strconv.Itoa(HarvesterPort)),
		},
		Volumes: []string{
			configFile + ":" + HarvesterConfigFile + ":ro,Z",
			dataVolume + ":/prometheus:rw",
		},
		HealthCmd:    []string{"wget", "-q", "-O", "/dev/null", "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(HarvesterPort)) + "/-/ready"},
		StartTimeout: 300 * time.Second,
	}
}

// GrafanaRune is the Grafana container. configDir is the host directory
// holding Generate's "grafana" files, mounted read-only; Grafana rereads
// the dashboards in it while it runs. dataVolume is the named volume that
// keeps Grafana's database (users, preferences, plugins). Grafana listens
// on every address of the pod's network namespace so that it can be
// published on the host.
func GrafanaRune(configDir, dataVolume string) RuneSpec {
	return RuneSpec{
		Name:        "grafana",
		Description: "The LychD Watchers' dashboards (Grafana)",
		Image:       GrafanaImage,
		Port:        GrafanaPort,
		Environment: []EnvVar{
			{Name: "GF_ANALYTICS_CHECK_FOR_UPDATES", Value: "false"},
			{Name: "GF_ANALYTICS_REPORTING_ENABLED", Value: "false"},
			{Name: "GF_PATHS_DATA", Value: "/var/lib/grafana"},
			{Name: "GF_PATHS_PROVISIONING", Value: GrafanaProvisioningDir},
			{Name: "GF_SERVER_HTTP_PORT", Value: strconv.Itoa(GrafanaPort)},
		},
		Volumes: []string{
			configDir + ":" + GrafanaConfigDir + ":ro,Z",
			dataVolume + ":/var/lib/grafana:rw",
		},
		HealthCmd:    []string{"wget", "-q", "-O", "/dev/null", "http://127.0.0.1:" + strconv.Itoa(GrafanaPort) + "/api/health"},
		StartTimeout: 300 * time.Second,
	}
}
