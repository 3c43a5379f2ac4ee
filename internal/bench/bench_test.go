package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/model/modeltest"
	"github.com/lychd/lychd/internal/scribe"
	"github.com/lychd/lychd/internal/site"
	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/verify"
)

// Extensions is how many extensions the bind benchmarks install.
const Extensions = 32

// parallel is lychd's default assimilation parallelism
// (host.DefaultParallel), used by the floor too.
const parallel = 4

// fixture is what the bind benchmarks share within one `go test` process:
// the binaries and a sandbox HOME with the extensions installed. Building
// and installing take seconds, so it is made once, by the first benchmark
// that needs it, and removed by TestMain.
type fixture struct {
	dir       string
	sb        *Sandbox
	bares     []string
	installed []string
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
	fixDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixDir != "" {
		os.RemoveAll(fixDir)
	}
	os.Exit(code)
}

func sharedFixture(b *testing.B) *fixture {
	b.Helper()
	fixOnce.Do(func() { fix, fixErr = makeFixture() })
	if fixErr != nil {
		b.Fatal(fixErr)
	}
	return fix
}

func makeFixture() (*fixture, error) {
	root, err := testtool.RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lychd-bench-")
	if err != nil {
		return nil, err
	}
	fixDir = dir
	f := &fixture{dir: dir, sb: &Sandbox{Lychd: filepath.Join(dir, "lychd"), Home: filepath.Join(dir, "home")}}
	for pkg, out := range map[string]string{LychdPackage: f.sb.Lychd, BarePluginPackage: filepath.Join(dir, "bareplugin")} {
		if err := Build(root, pkg, out, ""); err != nil {
			return nil, err
		}
	}
	exts, err := BuildMinExts(root, filepath.Join(dir, "src"), Names("bx", Extensions))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(f.sb.Home, 0o755); err != nil {
		return nil, err
	}
	if err := f.sb.Install(exts); err != nil {
		return nil, err
	}
	for _, n := range Names("bx", Extensions) {
		f.installed = append(f.installed, filepath.Join(f.sb.Home, ".local", "share", "lychd", "extensions", n, "lychd-ext-"+n))
	}
	if f.bares, err = Copies(filepath.Join(dir, "bareplugin"), filepath.Join(dir, "bare"), Names("bare", Extensions)); err != nil {
		return nil, err
	}
	// The first bind writes the units; the benchmarks measure later ones.
	out, err := f.sb.Run("bind", "--json")
	if err != nil {
		return nil, err
	}
	r, err := ParseBind(out)
	if err != nil {
		return nil, err
	}
	if len(r.Extensions) != Extensions+1 {
		return nil, fmt.Errorf("first bind assimilated %d extensions, want the core and %d:\n%s", len(r.Extensions), Extensions, out)
	}
	return f, f.sb.StartCountingLaunches()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkBindCold32 runs the real `lychd bind` in a sandbox HOME with 32
// installed extensions and an empty registration cache (removed before
// each bind; the units are already bound, so the bind writes nothing), and
// in the same iteration the floor: 32 bare go-plugin plugins launched 4 at
// a time, one RPC each. It reports bind-ms, floor-ms, their ratio
// (x-floor) and the launches counted. The timed bind runs alone, as the
// floor does, each after a pause of settle: the peak memory comes from a
// first cold bind of the same iteration, untimed, whose process is polled
// every millisecond (the poller takes CPU from a 2-core machine):
// lychd-peak-MB, its VmHWM without the extensions. To explain the
// time: the mean launch time lychd reports per extension (ext-launch-ms:
// checksum, start, handshake) and the time to sha256 the 32 installed
// binaries one after the other in the benchmark process (sha256-all-ms),
// which lychd does before a launch when the binary's file identity no
// longer matches the one recorded at install.
func BenchmarkBindCold32(b *testing.B) {
	f := sharedFixture(b)
	var bind, floor, extLaunch, hash time.Duration
	var launches int
	var peakKB int64
	// coldBind empties the cache, runs one cold bind (with run) and checks
	// that it launched every extension and changed nothing; it returns the
	// bind's output.
	coldBind := func(run func() (string, error)) (string, time.Duration) {
		if err := os.RemoveAll(f.sb.CacheDir()); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		out, err := run()
		took := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if r, err := ParseBind(out); err != nil {
			b.Fatal(err)
		} else if r.Changed {
			b.Fatalf("a cold bind of unchanged extensions changed the units:\n%s", out)
		}
		n, err := f.sb.Launches()
		if err != nil {
			b.Fatal(err)
		}
		if n != Extensions {
			b.Fatalf("cold bind launched %d extensions, want %d", n, Extensions)
		}
		launches += n
		return out, took
	}
	for b.Loop() {
		b.StopTimer()
		coldBind(func() (string, error) {
			out, kb, err := RunPeak(f.sb.Command("bind", "--json"))
			peakKB = max(peakKB, kb)
			return out, err
		})
		th := time.Now()
		if err := HashAll(f.installed); err != nil {
			b.Fatal(err)
		}
		hash += time.Since(th)
		// Each timed operation starts on a settled machine: what the
		// kernel finishes after processes exit (namespace teardown, the
		// file system) does not land on the next one.
		time.Sleep(settle)
		out, took := coldBind(func() (string, error) { return f.sb.Run("bind", "--json") })
		bind += took
		r, _ := ParseBind(out)
		el, err := ExtensionLaunches(r.Extensions)
		if err != nil {
			b.Fatal(err)
		}
		extLaunch += el
		time.Sleep(settle)
		t1 := time.Now()
		if err := LaunchBare(context.Background(), f.bares, parallel); err != nil {
			b.Fatal(err)
		}
		floor += time.Since(t1)
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(ms(bind)/n, "bind-ms")
	b.ReportMetric(ms(floor)/n, "floor-ms")
	b.ReportMetric(float64(bind)/float64(floor), "x-floor")
	b.ReportMetric(float64(launches)/n/2, "launches")
	b.ReportMetric(float64(peakKB)/1024, "lychd-peak-MB")
	b.ReportMetric(ms(extLaunch)/n/Extensions, "ext-launch-ms")
	b.ReportMetric(ms(hash)/n, "sha256-all-ms")
}

// settle is the pause before each timed operation of BenchmarkBindCold32.
const settle = 250 * time.Millisecond

// warmBinds is how many warm binds one BenchmarkBindWarm32 iteration
// times: a warm bind takes tens of milliseconds, so one sample is at the
// mercy of whatever else the machine does at that moment.
const warmBinds = 9

// BenchmarkBindWarm32 runs the real `lychd bind --json` (reload allowed)
// with 32 installed extensions, a valid registration cache and the units
// already bound, warmBinds times per iteration, each followed by `lychd
// --help`. It fails if an extension is launched, and reports the median
// bind (bind-ms) and `lychd --help` (help-ms: what starting the lychd
// process costs by itself) over all of them, launches, the entries of the
// sandbox HOME
// written (files-written) and the reloads lychd attempted, all of which
// must be 0. Each bind is timed alone: nothing polls it.
func BenchmarkBindWarm32(b *testing.B) {
	f := sharedFixture(b)
	// Make sure the cache is valid (a cold benchmark may have emptied it).
	if _, err := f.sb.Run("bind", "--json"); err != nil {
		b.Fatal(err)
	}
	if _, err := f.sb.Launches(); err != nil {
		b.Fatal(err)
	}
	var binds, helps []time.Duration
	var written, reloads int
	for b.Loop() {
		b.StopTimer()
		for range warmBinds {
			before, err := Snapshot(f.sb.Home, LaunchLogName)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0 := time.Now()
			out, err := f.sb.Run("bind", "--json")
			binds = append(binds, time.Since(t0))
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			after, err := Snapshot(f.sb.Home, LaunchLogName)
			if err != nil {
				b.Fatal(err)
			}
			if c := Changed(before, after); len(c) > 0 {
				b.Logf("a bind with no change touched: %s", strings.Join(c, ", "))
			}
			written += Written(before, after)
			r, err := ParseBind(out)
			if err != nil {
				b.Fatal(err)
			}
			if r.ReloadAttempted() {
				reloads++
			}
			n, err := f.sb.Launches()
			if err != nil {
				b.Fatal(err)
			}
			if n != 0 {
				b.Fatalf("a warm bind launched %d extensions, want 0", n)
			}
			t1 := time.Now()
			if _, err := f.sb.Run("--help"); err != nil {
				b.Fatal(err)
			}
			helps = append(helps, time.Since(t1))
		}
		b.StartTimer()
	}
	b.ReportMetric(ms(median(binds)), "bind-ms")
	b.ReportMetric(ms(median(helps)), "help-ms")
	b.ReportMetric(0, "launches")
	b.ReportMetric(float64(written)/float64(len(binds)), "files-written")
	b.ReportMetric(float64(reloads)/float64(len(binds)), "reloads")
}

// median returns the median of ds (the mean of the middle two for an even
// count).
func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// siteIn is the binding site of a HOME, as lychd lays it out.
func siteIn(home string) *site.Site {
	return &site.Site{
		QuadletDir:  filepath.Join(home, ".config", "containers", "systemd"),
		SystemdDir:  filepath.Join(home, ".config", "systemd", "user"),
		BindingsDir: filepath.Join(home, ".local", "share", "lychd", "bindings"),
		Home:        home,
	}
}

// inscribe compiles m and applies it, durably, to a fresh HOME.
func inscribe(ctx context.Context, home string, n int) (*site.Site, error) {
	out, err := scribe.Compile(modeltest.ScaleManifest(n, max(10, n/250)))
	if err != nil {
		return nil, err
	}
	g := site.Generation{}
	for _, f := range out.Quadlet {
		g.Quadlet = append(g.Quadlet, site.File{Name: f.Name, Data: f.Data})
	}
	for _, f := range out.Systemd {
		g.Systemd = append(g.Systemd, site.File{Name: f.Name, Data: f.Data})
	}
	s := siteIn(home)
	_, err = s.Apply(ctx, g)
	return s, err
}

// BenchmarkScribe measures the Scribe at 100, 1,000 and 10,000 soulstones
// (ScaleManifest: 10 per coven): the manifest is compiled and applied with
// internal/site to a fresh HOME on disk (durable: fsynced). In the same
// iteration the floor, the real Quadlet generator (generator mode, into a
// fresh directory), reads the same files. It reports scribe-ms, quadlet-ms
// and their ratio (x-floor).
func BenchmarkScribe(b *testing.B) {
	quadlet := testtool.Quadlet(b)
	ctx := context.Background()
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("soulstones=%d", n), func(b *testing.B) {
			tmp := b.TempDir()
			var scr, quad time.Duration
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				home := filepath.Join(tmp, fmt.Sprint("home", i))
				gen := filepath.Join(tmp, fmt.Sprint("gen", i))
				if err := os.MkdirAll(gen, 0o755); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				s, err := inscribe(ctx, home, n)
				scr += time.Since(t0)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := verify.QuadletGenerate(ctx, quadlet, verify.Dirs{Quadlet: s.QuadletDir}, gen); err != nil {
					b.Fatal(err)
				}
				quad += time.Since(t1)
				if err := os.RemoveAll(home); err != nil {
					b.Fatal(err)
				}
				if err := os.RemoveAll(gen); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			k := float64(b.N)
			b.ReportMetric(ms(scr)/k, "scribe-ms")
			b.ReportMetric(ms(quad)/k, "quadlet-ms")
			b.ReportMetric(float64(scr)/float64(quad), "x-floor")
		})
	}
}

// BenchmarkAnalyze measures `systemd-analyze --user verify` (through
// verify.AnalyzeUnits, in a private mount namespace) over the services
// Quadlet generated from 1,000 soulstones (and, to show how it grows, 100)
// and their targets; the generation itself is not timed here (see
// quadlet-ms of BenchmarkScribe).
func BenchmarkAnalyze(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("soulstones=%d", n), func(b *testing.B) { benchAnalyze(b, n) })
	}
}

func benchAnalyze(b *testing.B, n int) {
	quadlet := testtool.Quadlet(b)
	testtool.SystemdAnalyze(b)
	ctx := context.Background()
	tmp := b.TempDir()
	s, err := inscribe(ctx, filepath.Join(tmp, "home"), n)
	if err != nil {
		b.Fatal(err)
	}
	gen := filepath.Join(tmp, "gen")
	if err := os.MkdirAll(gen, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := verify.QuadletGenerate(ctx, quadlet, verify.Dirs{Quadlet: s.QuadletDir}, gen); err != nil {
		b.Fatal(err)
	}
	var units []string
	for _, dir := range []string{gen, s.SystemdDir} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".service") || strings.HasSuffix(e.Name(), ".target") {
				units = append(units, filepath.Join(dir, e.Name()))
			}
		}
	}
	sort.Strings(units)
	if len(units) < n {
		b.Fatalf("only %d units to verify", len(units))
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		scratch := filepath.Join(tmp, fmt.Sprint("scratch", i))
		if err := os.MkdirAll(scratch, 0o755); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := verify.AnalyzeUnits(ctx, scratch, units); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(units)), "units")
}
