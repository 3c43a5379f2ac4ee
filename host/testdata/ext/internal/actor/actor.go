// Package actor is a lychd extension whose behaviour during Assimilate is
// chosen by its config table, so that one small binary can crash, hang,
// fork, flood or register whatever a test asks for.
package actor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lychd/lychd/sdk"
)

// Config is the actor's config table.
type Config struct {
	// Runes and Animators are registered in order.
	Runes     []sdk.Rune
	Animators []sdk.Animator
	// Presets are registered in order, after the Animators.
	Presets []sdk.NamedPreset
	// Count registers that many generated soulstones "gen-N".
	Count int
	// BigFieldMB registers one rune whose description is that many MiB.
	BigFieldMB int
	// Exit exits the process with that code during Assimilate.
	Exit int
	// Panic panics inside Assimilate (the SDK recovers it).
	Panic bool
	// CrashGoroutine dereferences nil in a goroutine: an unrecoverable
	// crash of the process.
	CrashGoroutine bool
	// Hang blocks Assimilate forever (ignoring its context).
	Hang bool
	// IgnoreTerm ignores SIGTERM and SIGINT.
	IgnoreTerm bool
	// Fork starts "sleep 1000" with Marker in its environment and exits the
	// process right after.
	Fork bool
	// ForkStay starts the child and keeps serving normally.
	ForkStay bool
	// Marker is put in the environment of forked children
	// (LYCHD_TEST_MARKER) so that a test can find them.
	Marker string
	// WriteFile writes "written" to this path during Assimilate.
	WriteFile string
	// Stderr is written to stderr before anything else.
	Stderr string
	// Log is logged at info level through the SDK logger, with the key
	// "from" set to "actor".
	Log string
	// Print is printed with fmt.Fprintln(os.Stderr, ...), Stdout with
	// fmt.Println.
	Print, Stdout string
	// Fail returns this error from Assimilate.
	Fail string
	// ReportProcess registers a soulstone "process" whose description
	// reports how the extension runs: its capability sets, its PID
	// namespace levels and its uid map, from /proc/self.
	ReportProcess bool
}

// Extension is the actor.
type Extension struct{ Name, Version string }

// Info implements sdk.Extension.
func (e Extension) Info() sdk.Info {
	return sdk.Info{Name: e.Name, Version: e.Version, Description: "test extension " + e.Name}
}

// Assimilate implements sdk.Extension.
func (e Extension) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	var c Config
	if err := a.Config(&c); err != nil {
		return err
	}
	if c.Stderr != "" {
		say(c.Stderr)
	}
	if c.Log != "" {
		a.Logger().Info(c.Log, "from", "actor")
	}
	if c.Print != "" {
		fmt.Fprintln(os.Stderr, c.Print)
	}
	if c.Stdout != "" {
		fmt.Println(c.Stdout)
	}
	if c.IgnoreTerm {
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
	}
	if c.WriteFile != "" {
		if err := os.WriteFile(c.WriteFile, []byte("written\n"), 0o644); err != nil {
			return err
		}
	}
	if c.Fork || c.ForkStay {
		cmd := exec.Command("sleep", "1000")
		cmd.Env = append(os.Environ(), "LYCHD_TEST_MARKER="+c.Marker)
		if err := cmd.Start(); err != nil {
			return err
		}
		if c.Fork {
			say("forked a child, exiting")
			os.Exit(4)
		}
	}
	if c.Exit != 0 {
		say(fmt.Sprint("giving up with exit code ", c.Exit))
		os.Exit(c.Exit)
	}
	if c.Panic {
		var m map[string]int
		m["boom"]++
	}
	if c.CrashGoroutine {
		go func() {
			var p *struct{ n int }
			fmt.Println(p.n)
		}()
		time.Sleep(time.Minute)
	}
	if c.Hang {
		select {}
	}
	for _, r := range c.Runes {
		if err := a.AddRune(ctx, r); err != nil {
			return err
		}
	}
	for _, an := range c.Animators {
		if err := a.RegisterAnimator(ctx, an); err != nil {
			return err
		}
	}
	for _, p := range c.Presets {
		if err := a.AddPreset(ctx, p.Name, p.Preset); err != nil {
			return err
		}
	}
	for i := range c.Count {
		if err := a.AddRune(ctx, sdk.Rune{Name: fmt.Sprintf("gen-%d", i), Image: "docker.io/library/alpine:3.20", Groups: []string{"gen"}}); err != nil {
			return fmt.Errorf("rune %d: %w", i, err)
		}
	}
	if c.BigFieldMB > 0 {
		big := strings.Repeat("x", c.BigFieldMB<<20)
		if err := a.AddRune(ctx, sdk.Rune{Name: "big", Image: "docker.io/library/alpine:3.20", Description: big}); err != nil {
			return err
		}
	}
	if c.ReportProcess {
		report, err := processReport()
		if err != nil {
			return err
		}
		if err := a.AddRune(ctx, sdk.Rune{Name: "process", Image: "docker.io/library/alpine:3.20", Description: report}); err != nil {
			return err
		}
	}
	if c.Fail != "" {
		return errors.New(c.Fail)
	}
	return nil
}

// processReport is "CapInh=… CapPrm=… CapEff=… CapAmb=… NSpid=a,b uid_map=x,y,z"
// for this process.
func processReport() (string, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "", err
	}
	var parts []string
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && (strings.HasPrefix(k, "Cap") && k != "CapBnd" || k == "NSpid") {
			parts = append(parts, k+"="+strings.Join(strings.Fields(v), ","))
		}
	}
	uidMap, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return "", err
	}
	return strings.Join(append(parts, "uid_map="+strings.Join(strings.Fields(string(uidMap)), ",")), " "), nil
}

// say writes a line straight to file descriptor 2. go-plugin redirects
// os.Stderr into a gRPC stream that may not be flushed before an abrupt
// exit; the descriptor is the pipe lychd reads directly.
func say(line string) { _, _ = syscall.Write(2, []byte(line+"\n")) }
