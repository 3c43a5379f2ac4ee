package launch

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/lychd/lychd/host/registry"
	"github.com/lychd/lychd/internal/model"
)

// assimilateActor launches the actor with a logger writing to out at
// level, assimilates it with config and ends it (Shutdown after success,
// Close after failure), returning the Assimilate error and the process.
func assimilateActor(t *testing.T, config string, level hclog.Level, out *bytes.Buffer) (*Process, error) {
	t.Helper()
	bin := installed(t)
	logger := hclog.New(&hclog.LoggerOptions{Name: "lychd", Level: level, Output: out, DisableTime: true})
	p, err := Start(context.Background(), Spec{Name: "actor", Path: bin, SHA256: sum(bin), StartTimeout: 10 * time.Second, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	col := registry.New(model.Source{Kind: model.SourceExtension, Name: "actor"})
	err = p.Client.Assimilate(context.Background(), []byte(config), col)
	if err != nil {
		p.Close()
	} else {
		p.Shutdown()
	}
	return p, err
}

// TestTranscriptHasEveryLine: the extension's log lines, plain stderr and
// stdout all reach lychd, in order, and go-plugin's machinery does not.
// Before, a fmt.Fprintln(os.Stderr) or fmt.Println during Assimilate
// reached lychd only as the tail quoted in a failure.
func TestTranscriptHasEveryLine(t *testing.T) {
	var out bytes.Buffer
	p, err := assimilateActor(t, `{"Stderr": "raw on fd 2", "Log": "registering", "Print": "printed to os.Stderr", "Stdout": "printed to os.Stdout"}`, hclog.Info, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := []Line{
		{Stream: StreamStderr, Text: "raw on fd 2"},
		{Stream: StreamLog, Level: "info", Text: "registering: from=actor"},
		{Stream: StreamStderr, Text: "printed to os.Stderr"},
		{Stream: StreamStderr, Text: "printed to os.Stdout"},
	}
	if got := p.Transcript(); !reflect.DeepEqual(got, want) {
		t.Errorf("transcript:\n got %q\nwant %q", got, want)
	}
	wantLog := "[INFO]  lychd.actor: stderr: raw on fd 2\n" +
		"[INFO]  lychd.actor: registering: from=actor\n" +
		"[INFO]  lychd.actor: stderr: printed to os.Stderr\n" +
		"[INFO]  lychd.actor: stderr: printed to os.Stdout\n"
	if out.String() != wantLog {
		t.Errorf("forwarded to lychd's logger:\n%s\nwant:\n%s", out.String(), wantLog)
	}
}

// TestAFailureLogsNothingAtWarn: lychd reports a failed extension in its
// error; at the default level (warn) its logger prints nothing more. Before,
// every failure also printed "[ERROR] lychd.NAME: plugin process exited:
// ... error=\"signal: killed\"" (lychd stopping the extension on purpose)
// and the SDK's "Assimilate failed" line, whose panic frames showed a
// literal \t.
func TestAFailureLogsNothingAtWarn(t *testing.T) {
	for _, config := range []string{`{"Fail": "nope"}`, `{"Panic": true}`} {
		var out bytes.Buffer
		p, err := assimilateActor(t, config, hclog.Warn, &out)
		if err == nil {
			t.Fatalf("%s: the assimilation succeeded", config)
		}
		if out.Len() != 0 {
			t.Errorf("%s: lychd's logger printed:\n%s", config, out.String())
		}
		for _, l := range p.Transcript() {
			if strings.Contains(l.Text, `\t`) {
				t.Errorf("%s: transcript line %q holds a literal \\t", config, l)
			}
		}
	}
}

// TestMachineryIsDebug: go-plugin's own messages stay available at debug
// level, where "plugin process exited" is not an error.
func TestMachineryIsDebug(t *testing.T) {
	var out bytes.Buffer
	if _, err := assimilateActor(t, `{"Fail": "nope"}`, hclog.Debug, &out); err == nil {
		t.Fatal("the assimilation succeeded")
	}
	if !strings.Contains(out.String(), "[DEBUG] lychd.actor: plugin process exited:") {
		t.Errorf("debug output lacks go-plugin's exit message:\n%s", out.String())
	}
	if strings.Contains(out.String(), "[ERROR]") || strings.Contains(out.String(), "[WARN]") {
		t.Errorf("debug output holds errors or warnings:\n%s", out.String())
	}
}
