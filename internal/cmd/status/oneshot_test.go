package status

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/systemd"
)

// TestOneShotThatRanIsDone: a one-shot whose last run exited 0 is
// inactive and "done", with when it finished; one that never ran is
// inactive without "done"; one whose run failed is failed. No other kind
// of unit is ever "done".
func TestOneShotThatRanIsDone(t *testing.T) {
	finished := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	rec := &bound.Record{Units: []bound.Unit{
		{Name: "lychd-migrate.service", Kind: bound.KindOneShot, Rune: "migrate"},
		{Name: "lychd-seed.service", Kind: bound.KindOneShot, Rune: "seed"},
		{Name: "lychd-broken.service", Kind: bound.KindOneShot, Rune: "broken"},
		{Name: "lychd-vessel.service", Kind: bound.KindCore, Rune: "vessel"},
	}}
	rep := Build(rec, []systemd.Unit{
		{Name: "lychd-migrate.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead", Result: "success", InactiveEnterTimestamp: finished},
		{Name: "lychd-seed.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
		{Name: "lychd-broken.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed", Result: "exit-code", InactiveEnterTimestamp: finished},
		{Name: "lychd-vessel.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead", Result: "success", InactiveEnterTimestamp: finished},
	})
	var out bytes.Buffer
	rep.Bound = &Bound{Generation: "gen-1", At: finished}
	if err := WriteTable(&out, rep, time.UTC); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"lychd-vessel.service   core     -       inactive/dead        2026-12-06 05:00:00  -\n",
		"lychd-broken.service   oneshot  -       failed/failed        2026-12-06 05:00:00  -\n",
		"lychd-migrate.service  oneshot  -       inactive/dead, done  2026-12-06 05:00:00  -\n",
		"lychd-seed.service     oneshot  -       inactive/dead        -                    -\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status table lacks %q:\n%s", want, out.String())
		}
	}
	for _, u := range rep.Units {
		if want := map[string]string{"lychd-migrate.service": LastRunDone}[u.Unit]; u.LastRun != want {
			t.Errorf("%s: LastRun = %q, want %q", u.Unit, u.LastRun, want)
		}
	}
}
