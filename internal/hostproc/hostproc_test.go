package hostproc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/host/assimilation"
	"github.com/lychd/lychd/internal/model"
)

// The test binary doubles as a fake lychd-host: with $HOSTPROC_FAKE set it
// serves one request on stdin the way $HOSTPROC_FAKE says.
func TestMain(m *testing.M) {
	if mode := os.Getenv("HOSTPROC_FAKE"); mode != "" {
		os.Exit(fakeHost(mode))
	}
	os.Exit(m.Run())
}

var canned = &assimilation.Result{
	Runes: []model.Rune{{Name: "vision", Kind: model.KindSoulstone, Image: "docker.io/vllm/vllm-openai:v0.6", Port: 8081, Groups: []string{"vision"},
		Environment: []model.EnvVar{{Name: "A", Value: "1"}}, StartTimeout: 15 * time.Minute,
		Source: model.Source{Kind: model.SourceExtension, Name: "vision-organ"}}},
	Animators: []model.Animator{{Name: "eye", Kind: model.AnimatorSoulstone, Rune: "vision", Capabilities: []string{"OpenAIChatCompletions"},
		Source: model.Source{Kind: model.SourceExtension, Name: "vision-organ"}}},
	Extensions: []assimilation.Stats{{Name: "vision-organ", Version: "1.2.0", Protocol: 1, Source: model.Source{Kind: model.SourceExtension, Name: "vision-organ"},
		Launch: 7 * time.Millisecond, Assimilation: 2 * time.Millisecond, Runes: 1, Animators: 1}},
}

func fakeHost(mode string) int {
	if os.Args[1] != AssimilateCommand {
		fmt.Fprintf(os.Stderr, "fake host: args %q\n", os.Args[1:])
		return 2
	}
	switch mode {
	case "crash":
		fmt.Fprintln(os.Stderr, "panic: the host exploded")
		return 3
	case "garbage":
		fmt.Println("not json")
		return 0
	}
	err := Serve(context.Background(), os.Stdin, os.Stdout, func(_ context.Context, req Request) (*assimilation.Result, error) {
		if req.HostID != "pair" || req.Deadline != 30*time.Second || req.Parallel != 4 || string(req.Config["vision-organ"]) != `{"gpu":0}` {
			return nil, fmt.Errorf("fake host: unexpected request %+v", req)
		}
		if mode == "fail" {
			return nil, errors.New("2 extensions failed:\n  extension \"a\": crashed\n  extension \"b\": hung")
		}
		return canned, nil
	})
	if errors.Is(err, ErrFailed) {
		return 1
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func run(t *testing.T, mode string) (*assimilation.Result, string, error) {
	t.Helper()
	t.Setenv("HOSTPROC_FAKE", mode)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	res, err := Assimilate(context.Background(), self, Request{
		Config:   map[string]json.RawMessage{"vision-organ": json.RawMessage(`{"gpu":0}`)},
		Deadline: 30 * time.Second, Parallel: 4, HostID: "pair",
	}, &stderr)
	return res, stderr.String(), err
}

func TestAssimilateRoundTrip(t *testing.T) {
	res, stderr, err := run(t, "ok")
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, stderr)
	}
	if !reflect.DeepEqual(res, canned) {
		t.Errorf("result:\n%+v\nwant:\n%+v", res, canned)
	}
}

func TestAssimilateFailures(t *testing.T) {
	for _, tc := range []struct{ mode, err, stderr string }{
		{"fail", "2 extensions failed:\n  extension \"a\": crashed\n  extension \"b\": hung", ""},
		{"crash", "lychd-host failed (exit status 3) before it could answer; its messages, if any, are above", "panic: the host exploded\n"},
		{"garbage", "lychd-host answered something that is not a response (invalid character 'o' in literal null (expecting 'u')); is it the same version as lychd? reinstall both (make install)", ""},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			res, stderr, err := run(t, tc.mode)
			if err == nil || err.Error() != tc.err {
				t.Errorf("error:\n%v\nwant:\n%s", err, tc.err)
			}
			if res != nil {
				t.Errorf("a result with the error: %+v", res)
			}
			if stderr != tc.stderr {
				t.Errorf("stderr %q, want %q", stderr, tc.stderr)
			}
		})
	}
}

func TestServeRefusesABadRequest(t *testing.T) {
	var out bytes.Buffer
	err := Serve(context.Background(), bytes.NewReader([]byte(`{"config": {}, "bogus": 1}`)), &out, func(context.Context, Request) (*assimilation.Result, error) {
		t.Fatal("ran a bad request")
		return nil, nil
	})
	want := `read the assimilation request on stdin (this command is run by lychd, not by hand): json: unknown field "bogus"`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if out.Len() != 0 {
		t.Errorf("answered %q", out.String())
	}
}

func TestHostBinary(t *testing.T) {
	dir := t.TempDir()
	b := Binaries{Dir: dir}
	host := filepath.Join(dir, HostName)
	_, err := b.Host()
	want := "lychd-host is missing: lychd runs it to launch extensions and looks for it next to itself, at " + host + "; install both binaries together (make install, or go install github.com/lychd/lychd/cmd/...)"
	if err == nil || err.Error() != want {
		t.Errorf("missing: %v\nwant: %s", err, want)
	}
	if err := os.WriteFile(host, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = b.Host()
	if want := host + " is not an executable file; reinstall lychd (make install)"; err == nil || err.Error() != want {
		t.Errorf("not executable: %v\nwant: %s", err, want)
	}
	if err := os.Chmod(host, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := b.Host(); err != nil || p != host {
		t.Errorf("Host() = %q, %v", p, err)
	}
}

func TestFingerprintFollowsBothBinaries(t *testing.T) {
	dir := t.TempDir()
	b := Binaries{Dir: dir}
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		tmp := p + ".new"
		if err := os.WriteFile(tmp, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, p); err != nil {
			t.Fatal(err)
		}
	}
	write(CLIName, "cli 1")
	write(HostName, "host 1")
	first := b.Fingerprint()
	if again := b.Fingerprint(); again != first || strings.Count(first, "|") != 1 || strings.Contains(first, "-") {
		t.Fatalf("fingerprint %q then %q: want a stable pair of two stats", first, again)
	}
	seen := map[string]string{first: "first install"}
	for _, step := range []struct{ name, data string }{{CLIName, "cli 2"}, {HostName, "host 2"}} {
		write(step.name, step.data)
		fp := b.Fingerprint()
		if prev, ok := seen[fp]; ok {
			t.Errorf("replacing %s kept the fingerprint of %s", step.name, prev)
		}
		seen[fp] = step.name
	}
}
