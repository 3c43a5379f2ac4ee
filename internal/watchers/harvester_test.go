package watchers

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/testtool"
)

// exposition is what the fake engine behind the shared port answers.
type exposition struct {
	mu   sync.Mutex
	body string
}

func (e *exposition) set(body string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.body = body
}

func (e *exposition) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	e.mu.Lock()
	body := e.body
	e.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprint(w, body)
}

// The bodies follow the engines' own exposition: vLLM labels every series
// with model_name (its served model name) and engine (its engine index);
// llama.cpp's series carry no labels.
const (
	vllmBody = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="%s"} %d
`
	llamaBody = `# HELP llamacpp:requests_processing Number of requests processing.
# TYPE llamacpp:requests_processing gauge
llamacpp:requests_processing 2
`
)

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type sample struct {
	Metric map[string]string `json:"metric"`
}

// promQuery asks Prometheus for expr; it returns nil until there are samples.
func promQuery(t *testing.T, base, expr string) []sample {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil // not listening yet
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []sample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Status != "success" {
		return nil
	}
	return r.Data.Result
}

// waitFor polls Prometheus until expr has samples or the deadline passes.
func waitFor(t *testing.T, base, expr string) []sample {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if s := promQuery(t, base, expr); len(s) > 0 {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("Prometheus never returned samples for %s", expr)
	return nil
}

// TestHarvesterLabelsWhoAnswered runs the real Prometheus on a generated
// configuration in which three soulstones share one port, lets a fake
// engine answer as each of them in turn, and checks that every series is
// labelled with the soulstone that produced it, and that the engine's own
// labels survive.
func TestHarvesterLabelsWhoAnswered(t *testing.T) {
	promBin := testtool.PrometheusServer(t)
	engine := &exposition{}
	srv := httptest.NewServer(engine)
	defer srv.Close()
	enginePort := srv.Listener.Addr().(*net.TCPAddr).Port
	promPort := freePort(t)
	promAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(promPort))

	cfg := Config{
		ScrapeInterval:   time.Second,
		HarvesterAddress: promAddr,
		GrafanaAddress:   "-",
		Targets: []Target{
			{Soulstone: "qwen", Engine: "vllm", Port: enginePort, MetricsPath: "/metrics", MetricPrefix: "vllm:", IdentityLabel: "model_name", Identity: "qwen"},
			{Soulstone: "coder", Engine: "vllm", Port: enginePort, MetricsPath: "/metrics", MetricPrefix: "vllm:", IdentityLabel: "model_name", Identity: "coder"},
			{Soulstone: "tiny", Engine: "llama.cpp", Port: enginePort, MetricsPath: "/metrics", MetricPrefix: "llamacpp:"},
		},
	}
	data, _, err := Prometheus(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, promBin,
		"--config.file="+config,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr,
		"--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Logf("prometheus log:\n%s\nconfig:\n%s", log, data)
		}
	}()
	base := "http://" + promAddr
	job := fmt.Sprintf("soulstones:%d/metrics", enginePort)
	instance := net.JoinHostPort("127.0.0.1", strconv.Itoa(enginePort))

	for _, step := range []struct {
		name, body, expr string
		want             map[string]string
	}{
		{"qwen holds the port", fmt.Sprintf(vllmBody, "qwen", 3), `vllm:num_requests_running{model_name="qwen"}`,
			map[string]string{"__name__": "vllm:num_requests_running", "engine": "0", "model_name": "qwen", "lychd_engine": "vllm", "lychd_soulstone": "qwen"}},
		{"tiny holds the port", llamaBody, `llamacpp:requests_processing`,
			map[string]string{"__name__": "llamacpp:requests_processing", "lychd_engine": "llama.cpp", "lychd_soulstone": "tiny"}},
		{"coder holds the port", fmt.Sprintf(vllmBody, "coder", 1), `vllm:num_requests_running{model_name="coder"}`,
			map[string]string{"__name__": "vllm:num_requests_running", "engine": "0", "model_name": "coder", "lychd_engine": "vllm", "lychd_soulstone": "coder"}},
		// A vLLM whose served name matches no soulstone is attributed to
		// every vLLM soulstone of the port: honest, not silently wrong.
		{"an unknown vLLM answers", fmt.Sprintf(vllmBody, "stranger", 5), `vllm:num_requests_running{model_name="stranger"}`,
			map[string]string{"__name__": "vllm:num_requests_running", "engine": "0", "model_name": "stranger", "lychd_engine": "vllm", "lychd_soulstone": "coder|qwen"}},
	} {
		t.Run(step.name, func(t *testing.T) {
			engine.set(step.body)
			got := waitFor(t, base, step.expr)
			if len(got) != 1 {
				t.Fatalf("%s: %d series, want 1: %v", step.expr, len(got), got)
			}
			want := map[string]string{"job": job, "instance": instance}
			for k, v := range step.want {
				want[k] = v
			}
			if !reflect.DeepEqual(got[0].Metric, want) {
				t.Errorf("%s labels:\n got %v\nwant %v", step.expr, got[0].Metric, want)
			}
		})
	}
}
