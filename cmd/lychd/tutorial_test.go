package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/lychd/lychd/internal/cmd/factory"
	"github.com/lychd/lychd/internal/cmd/root"
)

// TestMain lets the test binary run as lychd inside test scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"lychd": func() {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		os.Exit(root.Run(ctx, factory.New(), os.Args[1:]))
	}})
}

// TestTutorial runs the tutorial of docs/extensions.md: a new extension is
// generated, edited, tested with go test, built, installed, bound and
// dispatched to, in a HOME of its own, by the lychd this test binary is.
func TestTutorial(t *testing.T) {
	goEnv := goEnvironment(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/tutorial",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			if err := userSandbox(e); err != nil {
				return err
			}
			for k, v := range goEnv {
				e.Setenv(k, v)
			}
			return nil
		},
	})
}

// goEnvironment is the go command's environment the scripts' go commands
// need with a HOME of their own: the build and module caches, and how to
// reach modules.
func goEnvironment(t *testing.T) map[string]string {
	t.Helper()
	keys := []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GONOSUMDB", "GONOPROXY", "GOPRIVATE", "GOFLAGS", "GOTOOLCHAIN", "GOSUMDB"}
	out, err := exec.Command("go", append([]string{"env"}, keys...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	env := map[string]string{}
	for i, k := range keys {
		if i < len(lines) && lines[i] != "" {
			env[k] = lines[i]
		}
	}
	return env
}

// TestTheTutorialIsTheScript keeps docs/extensions.md and the script that
// runs it in step: the tutorial's commands are the script's, in order
// (the script may run more, such as checks); every file the tutorial
// shows under a path is the script's file of that path; and every line of
// output it shows matches one of the script's assertions, which hold
// against what lychd really prints ("…" marks lines left out).
func TestTheTutorialIsTheScript(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "extensions.md"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := txtar.ParseFile(filepath.Join("testdata", "tutorial", "extensions.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := codeBlocks(string(doc))

	// Commands, in order.
	var scriptCmds []string
	var assertions []*regexp.Regexp
	for _, line := range strings.Split(string(a.Comment), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "exec "), strings.HasPrefix(line, "! exec "):
			scriptCmds = append(scriptCmds, strings.TrimPrefix(strings.TrimPrefix(line, "! "), "exec "))
		case strings.HasPrefix(line, "cd "):
			scriptCmds = append(scriptCmds, line)
		case strings.HasPrefix(line, "stdout "), strings.HasPrefix(line, "stderr "):
			// testscript quotes an argument in single quotes, '' being one.
			arg := strings.TrimSpace(line[len("stdout "):])
			if len(arg) < 2 || arg[0] != '\'' || arg[len(arg)-1] != '\'' {
				t.Fatalf("script assertion %s: write the pattern in single quotes", line)
			}
			pattern := strings.ReplaceAll(arg[1:len(arg)-1], "''", "'")
			re, err := regexp.Compile("(?m)" + pattern)
			if err != nil {
				t.Fatalf("script assertion %s: %v", line, err)
			}
			assertions = append(assertions, re)
		}
	}
	next, lost := 0, false
	for _, b := range blocks {
		if b.lang != "console" {
			continue
		}
		for _, line := range strings.Split(b.text, "\n") {
			cmd, ok := strings.CutPrefix(line, "$ ")
			if ok && !lost {
				for next < len(scriptCmds) && scriptCmds[next] != cmd {
					next++
				}
				if next == len(scriptCmds) {
					t.Errorf("docs/extensions.md runs %q, which the script does not run at that point", cmd)
					lost = true
				}
				next++
				continue
			}
			if ok {
				continue
			}
			if line == "" || line == "…" {
				continue
			}
			matched := false
			for _, re := range assertions {
				matched = matched || re.MatchString(line)
			}
			if !matched {
				t.Errorf("docs/extensions.md shows the output line %q, which no assertion of the script checks", line)
			}
		}
	}

	// Files.
	files := map[string]string{}
	for _, f := range a.Files {
		files[f.Name] = string(f.Data)
	}
	shown := 0
	for _, b := range blocks {
		if b.path == "" {
			continue
		}
		shown++
		name := "tutorial/" + strings.Replace(b.path, "~/", "home/", 1)
		if got, ok := files[name]; !ok {
			t.Errorf("docs/extensions.md shows %s, which the script does not have as %s", b.path, name)
		} else if got != b.text+"\n" {
			t.Errorf("docs/extensions.md shows %s differently from the script's %s", b.path, name)
		}
	}
	if shown != 3 {
		t.Errorf("docs/extensions.md shows %d files under a path, want 3 (main.go, main_test.go, lychd.toml)", shown)
	}
}

// block is a fenced code block of a Markdown document: its language, the
// path after it ("```go whisper-organ/main.go"), and its text.
type block struct {
	lang, path, text string
}

func codeBlocks(doc string) []block {
	var out []block
	var cur *block
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			if cur == nil {
				info := strings.Fields(strings.TrimPrefix(line, "```"))
				cur = &block{}
				if len(info) > 0 {
					cur.lang = info[0]
				}
				if len(info) > 1 {
					cur.path = info[1]
				}
				lines = nil
				continue
			}
			cur.text = strings.Join(lines, "\n")
			out = append(out, *cur)
			cur = nil
			continue
		}
		if cur != nil {
			lines = append(lines, line)
		}
	}
	return out
}
