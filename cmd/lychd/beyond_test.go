package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/lychd/lychd/internal/golden"
)

// TestBeyondOneMachine runs the "Beyond one machine" example of README.md:
// lychd export kube on a bound Codex of two hostile covens, and the
// federation of two hosts through lychd animators --json and lychd portal
// import, each host a HOME of its own, by the lychd this test binary is.
func TestBeyondOneMachine(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/beyond",
		RequireExplicitExec: true,
		UpdateScripts:       golden.Updating(),
		Setup:               userSandbox,
	})
}

// TestTheReadmeIsTheScript keeps the "Beyond one machine" section of
// README.md and testdata/beyond/beyond.txtar in step: the section's lychd
// commands are the script's, in order ("ssh HOST CMD" is CMD run on the
// other host, "CMD > FILE" is the script's CMD then "cp stdout FILE", and
// what follows a pipe is left out); the file it shows under a path is host
// A's file of the script, and the export's and the import's files are
// the script's golden files of them; and every line of lychd's output it shows
// matches one of the script's assertions or golden files.
func TestTheReadmeIsTheScript(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section, ok := readmeSection(string(doc), "## Beyond one machine")
	if !ok {
		t.Fatal(`README.md has no section "## Beyond one machine"`)
	}
	a, err := txtar.ParseFile(filepath.Join("testdata", "beyond", "beyond.txtar"))
	if err != nil {
		t.Fatal(err)
	}

	var scriptCmds []string
	var assertions []*regexp.Regexp
	for _, line := range strings.Split(string(a.Comment), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "exec lychd "), strings.HasPrefix(line, "! exec lychd "):
			scriptCmds = append(scriptCmds, strings.TrimPrefix(strings.TrimPrefix(line, "! "), "exec "))
		case strings.HasPrefix(line, "cp stdout "):
			file := filepath.Base(strings.TrimPrefix(line, "cp stdout "))
			if n := len(scriptCmds); n > 0 {
				scriptCmds[n-1] += " > " + file
			}
		case strings.HasPrefix(line, "stdout "), strings.HasPrefix(line, "stderr "):
			arg := strings.TrimSpace(line[len("stdout "):])
			if len(arg) < 2 || arg[0] != '\'' || arg[len(arg)-1] != '\'' {
				t.Fatalf("script assertion %s: write the pattern in single quotes", line)
			}
			re, err := regexp.Compile("(?m)" + strings.ReplaceAll(arg[1:len(arg)-1], "''", "'"))
			if err != nil {
				t.Fatalf("script assertion %s: %v", line, err)
			}
			assertions = append(assertions, re)
		}
	}
	goldenLines := map[string]bool{}
	for _, f := range a.Files {
		if strings.HasSuffix(f.Name, ".golden") {
			for _, l := range strings.Split(string(f.Data), "\n") {
				goldenLines[l] = true
			}
		}
	}

	next, lost, shownCmds := 0, false, 0
	output := false // whether the lines below a command are lychd's output
	for _, b := range codeBlocks(section) {
		if b.lang != "console" {
			continue
		}
		for _, line := range strings.Split(b.text, "\n") {
			if cmd, ok := strings.CutPrefix(line, "$ "); ok {
				if rest, ok := strings.CutPrefix(cmd, "ssh "); ok {
					_, cmd, _ = strings.Cut(rest, " ")
				}
				cmd, _, _ = strings.Cut(cmd, " | ")
				output = strings.HasPrefix(cmd, "lychd ")
				if !output || lost {
					continue
				}
				shownCmds++
				for next < len(scriptCmds) && scriptCmds[next] != cmd {
					next++
				}
				if next == len(scriptCmds) {
					t.Errorf("README.md runs %q, which the script does not run at that point", cmd)
					lost = true
				}
				next++
				continue
			}
			if !output || line == "" {
				continue
			}
			matched := goldenLines[line]
			for _, re := range assertions {
				matched = matched || re.MatchString(line)
			}
			if !matched {
				t.Errorf("README.md shows the output line %q, which no assertion or golden file of the script checks", line)
			}
		}
	}
	if shownCmds < 6 {
		t.Errorf("README.md's section shows %d lychd commands; want at least 6 (bind, export kube -o, --scale, animators --json, portal import, animators --pick)", shownCmds)
	}

	shown := 0
	for _, b := range codeBlocks(section) {
		if b.path == "" {
			continue
		}
		shown++
		name := strings.Replace(b.path, "~/", "gpu-a/", 1)
		switch {
		case strings.HasPrefix(b.path, "kube/"):
			name = strings.TrimSuffix(strings.TrimPrefix(b.path, "kube/"), ".yaml") + ".golden"
		case strings.HasPrefix(b.path, "~/.config/lychd/portals/"):
			name = "portals.golden"
		}
		found := false
		for _, f := range a.Files {
			if f.Name == name {
				found = true
				if string(f.Data) != b.text+"\n" {
					t.Errorf("README.md shows %s differently from the script's %s", b.path, name)
				}
			}
		}
		if !found {
			t.Errorf("README.md shows %s, which the script does not have as %s", b.path, name)
		}
	}
	if shown != 3 {
		t.Errorf("README.md's section shows %d files under a path, want 3 (host A's soulstones, qwen's Deployment, the imported portals)", shown)
	}
}

// readmeSection returns the part of doc from the heading line to the next
// heading of the same level.
func readmeSection(doc, heading string) (string, bool) {
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		return "", false
	}
	rest := doc[i+1:]
	level := strings.SplitN(heading, " ", 2)[0] + " "
	if j := strings.Index(rest[len(heading):], "\n"+level); j >= 0 {
		return rest[:len(heading)+j], true
	}
	return rest, true
}
