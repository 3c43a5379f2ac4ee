package unitfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/testtool"
)

// representative is a soulstone container as lychd writes one, with user data
// that needs every kind of escaping.
func representative() *File {
	f := New()
	f.Add("Unit", "Description", Literal(`LychD soulstone "llama" (100% GPU)`))
	f.AddWrapped("Unit", "Conflicts", 60, "lychd-coven-b.target", "lychd-stone-b1.service", "lychd-stone-b2.service")
	f.Add("Unit", "After", List("lychd-stone-b1.service"))
	f.Add("Unit", "PartOf", List("lychd-coven-a.target"))
	f.Add("Container", "Image", Arg("ghcr.io/example/llama-server:b4500"))
	f.Add("Container", "ContainerName", Arg("lychd-stone-llama"))
	f.Add("Container", "Pod", Arg("lychd.pod"))
	f.Add("Container", "StartWithPod", Literal("false"))
	f.Add("Container", "AddDevice", Arg("nvidia.com/gpu=all"))
	f.Add("Container", "Volume", Specifier("%h/.local/share/lychd/models:/models:ro,Z"))
	f.Add("Container", "Environment", EnvAssign("MODEL", "/models/llama 3.gguf"))
	f.Add("Container", "Environment", EnvAssign("PROMPT_PREFIX", `You are "Lych"; cost: $5 (100%)`))
	f.Add("Container", "Environment", EnvAssign("EMPTY", ""))
	f.Add("Container", "Exec", Words("--model", "/models/llama 3.gguf", "--ctx-size", "8192", "--chat-template", "{{ $msg }} 50%", `C:\path`))
	f.Add("Service", "Restart", Literal("always"))
	f.Add("Install", "WantedBy", List("lychd-coven-a.target"))
	return f
}

func TestGolden(t *testing.T) {
	got, err := representative().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "golden", "lychd-stone-llama.container"), got)

	// Idempotence: parsing the output and writing the raw values back gives
	// the same bytes.
	p, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, s := range p.Sections() {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("[" + s.Name + "]\n")
		for _, e := range s.Entries {
			b.WriteString(e.Key + "=" + e.Value + "\n")
		}
	}
	if b.String() != string(got) {
		t.Errorf("Parse then rewrite changed the file:\n%s", b.String())
	}
}

// TestGoldenQuadlet runs the golden file through the real Quadlet and
// systemd-analyze verify: both must accept it without a word of complaint.
func TestGoldenQuadlet(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "golden", "lychd-stone-llama.container"))
	if err != nil {
		t.Fatal(err)
	}
	units, log, err := testtool.QuadletDryRun(t, map[string]string{
		"lychd-stone-llama.container": string(data),
		"lychd.pod":                   "[Pod]\nPodName=lychd\n",
	})
	if err != nil {
		t.Fatalf("quadlet: %v\n%s", err, log)
	}
	if strings.Contains(log, "Warning") || strings.Contains(log, "rror") {
		t.Errorf("quadlet complained:\n%s", log)
	}
	argv := execStart(t, units["lychd-stone-llama.service"])
	tail := []string{"ghcr.io/example/llama-server:b4500", "--model", "/models/llama 3.gguf", "--ctx-size", "8192", "--chat-template", "{{ $msg }} 50%", `C:\path`}
	if got := argv[len(argv)-len(tail):]; strings.Join(got, "\x00") != strings.Join(tail, "\x00") {
		t.Errorf("ExecStart tail %q, want %q", got, tail)
	}
	env := FlagValues(argv, "--env")
	wantEnv := []string{"EMPTY=", "MODEL=/models/llama 3.gguf", `PROMPT_PREFIX=You are "Lych"; cost: $5 (100%)`}
	if strings.Join(env, "\x00") != strings.Join(wantEnv, "\x00") {
		t.Errorf("--env %q, want %q", env, wantEnv)
	}
	verifyGenerated(t, map[string]string{"lychd-stone-llama.service": units["lychd-stone-llama.service"], "lychd-pod.service": units["lychd-pod.service"]})
}
