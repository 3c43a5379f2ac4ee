// Package table turns the output of lychd's benchmarks (`go test -bench`
// over internal/bench, any -count) into the one table of medians, floors,
// ratios and targets that scripts/bench.sh prints and BENCHMARKS.md
// records.
package table

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Results are the values of every metric of every benchmark, one per run
// (-count), keyed by benchmark name (without the -GOMAXPROCS suffix) and
// unit.
type Results map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

// Parse reads `go test -bench` output; lines that are not benchmark
// results are ignored. A malformed result line is an error naming it.
func Parse(r io.Reader) (Results, error) {
	res := Results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // e.g. "BenchmarkX  --- FAIL"
		}
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("benchmark output line %d: want NAME ITERATIONS then VALUE UNIT pairs, got %q", line, sc.Text())
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		if res[name] == nil {
			res[name] = map[string][]float64{}
		}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark output line %d: value %q of %s is not a number", line, f[i], f[i+1])
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading benchmark output: %w", err)
	}
	return res, nil
}

// Median returns the median of the runs of benchmark name's unit (the mean
// of the middle two for an even count), and false when there is none.
func (r Results) Median(name, unit string) (float64, bool) {
	v := append([]float64(nil), r[name][unit]...)
	if len(v) == 0 {
		return 0, false
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// Max returns the largest run of benchmark name's unit.
func (r Results) Max(name, unit string) (float64, bool) {
	v := r[name][unit]
	if len(v) == 0 {
		return 0, false
	}
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	return m, true
}

// Runs returns how many runs benchmark name has of unit.
func (r Results) Runs(name, unit string) int { return len(r[name][unit]) }

// Benchmark names (as Parse keys them) and units the table reads.
const (
	Cold    = "BenchmarkBindCold32"
	Warm    = "BenchmarkBindWarm32"
	Scribe  = "BenchmarkScribe/soulstones="
	Analyze = "BenchmarkAnalyze/soulstones="
	// Launch is host/launch's BenchmarkLaunchFloor (one launch at a time).
	Launch = "BenchmarkLaunchFloor/"
	// Swap is internal/e2e/matrix's BenchmarkSwapLatency (booted systemd).
	Swap = "BenchmarkSwapLatency"
	// Status is internal/e2e/matrix's BenchmarkStatusLarge (booted systemd).
	Status = "BenchmarkStatusLarge"
	// SwapToReady is internal/e2e/realpodman's BenchmarkSwapToReady (real
	// rootless Podman).
	SwapToReady = "BenchmarkSwapToReady"
)

// Row is one line of the table.
type Row struct {
	What, Median, Floor, Ratio, Target, Met string
}

// Rows computes the table from r. Figures that are missing (a benchmark
// not run or failed) show as "not run".
func Rows(r Results) []Row {
	var rows []Row
	med := func(name, unit string) (float64, string) {
		v, ok := r.Median(name, unit)
		if !ok {
			return math.NaN(), "not run"
		}
		return v, ""
	}
	met := func(ok bool, missing ...string) string {
		for _, m := range missing {
			if m != "" {
				return "—"
			}
		}
		if ok {
			return "yes"
		}
		return "**no**"
	}

	bind, m1 := med(Cold, "bind-ms")
	floor, m2 := med(Cold, "floor-ms")
	ratio, m3 := med(Cold, "x-floor")
	rows = append(rows, Row{
		What:   fmt.Sprintf("bind, 32 extensions, cold (empty cache) [n=%d]", r.Runs(Cold, "bind-ms")),
		Median: or(m1, msText(bind)),
		Floor:  or(m2, msText(floor)+": 32 bare go-plugin plugins launched, 4 at a time, 1 RPC each, same iteration"),
		Ratio:  or(m3, fmt.Sprintf("%.2fx", ratio)),
		Target: "≤ 1.5x",
		Met:    met(ratio <= 1.5, m3),
	})

	warm, m4 := med(Warm, "bind-ms")
	launches, _ := r.Max(Warm, "launches")
	rows = append(rows, Row{
		What:   fmt.Sprintf("bind, 32 extensions, warm (cache valid) [n=%d]", r.Runs(Warm, "bind-ms")),
		Median: or(m4, fmt.Sprintf("%s, %g processes launched (max)", msText(warm), launches)),
		Floor:  "—", Ratio: "—",
		Target: "< 60 ms, 0 processes launched",
		Met:    met(warm < 60 && launches == 0, m4),
	})

	var prev float64
	for _, n := range []int{100, 1000, 10000} {
		name := fmt.Sprint(Scribe, n)
		s, m5 := med(name, "scribe-ms")
		q, m6 := med(name, "quadlet-ms")
		x, m7 := med(name, "x-floor")
		growth := ""
		if prev > 0 && m5 == "" {
			growth = fmt.Sprintf("; %.1fx the time of %d (10x the soulstones)", s/prev, n/10)
		}
		target, ok := "~linear growth (≤ 12x per 10x)", true
		if n == 1000 {
			target, ok = "< 1x", x < 1
		}
		if prev > 0 && m5 == "" {
			// ~linear: 10x the soulstones in at most 12x the time.
			ok = ok && s/prev <= 12
		}
		prev = s
		rows = append(rows, Row{
			What:   fmt.Sprintf("Scribe, %d soulstones: Codex -> files on disk (compile + durable site.Apply) [n=%d]", n, r.Runs(name, "scribe-ms")),
			Median: or(m5, msText(s)+growth),
			Floor:  or(m6, msText(q)+": Quadlet generator over the same files"),
			Ratio:  or(m7, fmt.Sprintf("%.2fx", x)),
			Target: target,
			Met:    met(ok, m5, m7),
		})
	}

	an, m8 := med(Analyze+"1000", "ns/op")
	units, _ := r.Max(Analyze+"1000", "units")
	small := ""
	if an100, ok := r.Median(Analyze+"100", "ns/op"); ok && m8 == "" {
		small = fmt.Sprintf(" (100 soulstones: %s)", msText(an100/1e6))
	}
	rows = append(rows, Row{
		What:   fmt.Sprintf("systemd-analyze --user verify of the 1,000-soulstone units (%g units; Quadlet generation not included) [n=%d]", units, r.Runs(Analyze+"1000", "ns/op")),
		Median: or(m8, msText(an/1e6)+small),
		Floor:  "—", Ratio: "—",
		Target: "< 2 s",
		Met:    met(an/1e6 < 2000, m8),
	})

	written, ok1 := r.Max(Warm, "files-written")
	reloads, ok2 := r.Max(Warm, "reloads")
	m9 := ""
	if !ok1 || !ok2 {
		m9 = "not run"
	}
	rows = append(rows, Row{
		What:   "re-bind with no change: files written, reloads (max over runs)",
		Median: or(m9, fmt.Sprintf("%g / %g", written, reloads)),
		Floor:  "—", Ratio: "—",
		Target: "0 / 0",
		Met:    met(written == 0 && reloads == 0, m9),
	})

	rss, m10 := med(Cold, "lychd-peak-MB")
	rssMax, _ := r.Max(Cold, "lychd-peak-MB")
	rows = append(rows, Row{
		What:   "peak RSS of `lychd bind` with 32 extensions, cold (VmHWM of lychd; extensions excluded)",
		Median: or(m10, fmt.Sprintf("%.1f MB (max %.1f MB)", rss, rssMax)),
		Floor:  "—", Ratio: "—",
		Target: "< 64 MB",
		Met:    met(rssMax < 64, m10),
	})

	extl, m11 := med(Cold, "ext-launch-ms")
	hash, m12 := med(Cold, "sha256-all-ms")
	rows = append(rows, Row{
		What:   "diagnostic, cold bind: launch time per extension as lychd reports it (checksum + start + handshake); sha256 of the 32 installed binaries, one after the other",
		Median: or(m11, msText(extl)) + "; " + or(m12, msText(hash)),
		Floor:  "—", Ratio: "—", Target: "—", Met: "—",
	})
	ver, m13 := med(Warm, "help-ms")
	rows = append(rows, Row{
		What:   "diagnostic, warm bind: `lychd --help` in the same iteration (process start alone)",
		Median: or(m13, msText(ver)),
		Floor:  "—", Ratio: "—", Target: "—", Met: "—",
	})

	var parts []string
	for _, v := range []string{"full", "no-sha256", "no-isolation", "bare"} {
		d, m := med(Launch+v, "ns/op")
		parts = append(parts, v+" "+or(m, msText(d/1e6)))
	}
	rows = append(rows, Row{
		What:   "diagnostic, one extension launch + Info + shutdown, alone (host/launch BenchmarkLaunchFloor)",
		Median: strings.Join(parts, ", "),
		Floor:  "—", Ratio: "—", Target: "—", Met: "—",
	})

	lychd, m14 := med(Swap, "lychd-ms")
	bare, m15 := med(Swap, "systemctl-ms")
	added, m16 := med(Swap, "added-ms")
	swaps, _ := r.Max(Swap, "swaps")
	rows = append(rows, Row{
		What: fmt.Sprintf("coven swap on a booted systemd: `lychd start` vs `systemctl --user start` of the same unit, interleaved, stub stop delay 0 s (%g swaps each per run) [n=%d]",
			swaps, r.Runs(Swap, "lychd-ms")),
		Median: or(m14, msText(lychd)+"; lychd adds "+or(m16, msText(added))),
		Floor:  or(m15, msText(bare)+": `systemctl --user start`, same swaps"),
		Ratio:  or(or(m14, m15), fmt.Sprintf("%.2fx", lychd/bare)),
		Target: "report (no target)", Met: "—",
	})

	st, m17 := med(Status, "status-ms")
	cold, m18 := med(Status, "start-ms")
	n, _ := r.Max(Status, "soulstones")
	rows = append(rows, Row{
		What:   fmt.Sprintf("`lychd status` on a booted systemd, %g soulstones, nothing running (no unit loaded), median of 5 per run [n=%d]", n, r.Runs(Status, "status-ms")),
		Median: or(m17, msText(st)),
		Floor:  or(m18, msText(cold)+": one cold `systemctl --user start` of a soulstone (loads the same graph once)"),
		Ratio:  or(or(m17, m18), fmt.Sprintf("%.2fx", st/cold)),
		Target: "report (no target)", Met: "—",
	})
	stop, m19 := med(SwapToReady, "stop-s")
	quadlet, m20 := med(SwapToReady, "quadlet-s")
	for _, c := range []struct{ prefix, what, start string }{
		{"lychd", "`lychd start delta` displacing the coven alpha (3 soulstones)", "`lychd start delta` with no soulstone running"},
		{"target", "`systemctl --user start lychd-coven-beta.target` displacing 2 of alpha's 3 soulstones", "the same start with only the shared member running"},
	} {
		swap, ma := med(SwapToReady, c.prefix+"-s")
		floor, mb := med(SwapToReady, c.prefix+"-floor-s")
		excess, mc := med(SwapToReady, c.prefix+"-excess-s")
		before := ""
		if c.prefix == "lychd" {
			before = "; with Quadlet's stop path alone " + or(m20, msText(quadlet*1000))
		}
		rows = append(rows, Row{
			What:   fmt.Sprintf("swap to ready on real rootless Podman, each displaced soulstone taking 2 s to stop: %s [n=%d]", c.what, r.Runs(SwapToReady, c.prefix+"-s")),
			Median: or(ma, msText(swap*1000)+before),
			Floor:  or(mb, msText(floor*1000)+": one displaced soulstone's stop alone ("+or(m19, msText(stop*1000))+") + "+c.start+", same iteration"),
			Ratio:  or(mc, fmt.Sprintf("%+.2f s (median excess)", excess)),
			Target: "≤ floor + 0.5 s",
			Met:    met(excess <= 0.5, mc),
		})
	}
	return rows
}

// or returns missing when a figure is missing (not ""), else s.
func or(missing, s string) string {
	if missing != "" {
		return missing
	}
	return s
}

// msText formats milliseconds with three significant digits, as seconds
// from 1 s up.
func msText(ms float64) string {
	switch {
	case math.IsNaN(ms):
		return "not run"
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	case ms >= 100:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	case ms >= 10:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	default:
		return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
	}
}

// Render writes the rows as a Markdown table.
func Render(w io.Writer, rows []Row) error {
	var b strings.Builder
	b.WriteString("| what | median | floor | ratio | target | met |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.What, r.Median, r.Floor, r.Ratio, r.Target, r.Met)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
