package start

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/systemd/systemdfake"
)

func graph(t *testing.T) *covenant.Graph {
	t.Helper()
	soul := func(name string, groups ...string) model.Rune {
		return model.Rune{Name: name, Kind: model.KindSoulstone, Image: "example.invalid/" + name, Groups: groups}
	}
	g, err := covenant.Build([]model.Rune{
		{Name: "vessel", Kind: model.KindCore, Image: "example.invalid/vessel"},
		soul("vpre", "vision"), soul("vana", "vision"),
		soul("hermes", "reasoning"),
		soul("xtts"),
	}, [][]string{{"reasoning", "xtts"}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestCovenantResolver(t *testing.T) {
	r := CovenantResolver{Graph: graph(t)}
	for _, tc := range []struct{ name, unit, members string }{
		{"vision", "lychd-coven-vision.target", "lychd-soulstone-vana.service lychd-soulstone-vpre.service"},
		{"reasoning", "lychd-soulstone-hermes.service", "lychd-soulstone-hermes.service"},
		{"hermes", "lychd-soulstone-hermes.service", "lychd-soulstone-hermes.service"},
		{"vpre", "lychd-soulstone-vpre.service", "lychd-soulstone-vpre.service"},
		{"xtts", "lychd-soulstone-xtts.service", "lychd-soulstone-xtts.service"},
	} {
		unit, members, err := r.Resolve(tc.name)
		if err != nil || unit != tc.unit || strings.Join(members, " ") != tc.members {
			t.Errorf("Resolve(%s) = %s, %v, %v; want %s, %s", tc.name, unit, members, err, tc.unit, tc.members)
		}
	}
	for _, name := range []string{"vessel", "nosuch"} {
		if _, _, err := r.Resolve(name); err == nil || err.Error() != `no coven or soulstone named "`+name+"\" in the Codex or the installed extensions (`lychd status` lists what is installed)" {
			t.Errorf("Resolve(%s) err = %v", name, err)
		}
	}
	if a, b, ok := r.Conflict([]string{"reasoning", "xtts", "vpre"}); !ok || a != "reasoning" || b != "vpre" {
		t.Errorf("Conflict = %s %s %v", a, b, ok)
	}
	if _, _, ok := r.Conflict([]string{"hermes", "xtts"}); ok {
		t.Error("allied covens conflict")
	}
}

func TestStartExplainsCovenantConflict(t *testing.T) {
	var out bytes.Buffer
	fake := &systemdfake.Manager{}
	opts := &Options{
		IO:      cmdutil.IOStreams{Out: &out},
		Names:   []string{"xtts", "vision"},
		Manager: func(context.Context) (systemd.Manager, error) { return fake, nil },
		Resolver: func(context.Context, systemd.Manager) (Resolver, error) {
			return CovenantResolver{Graph: graph(t)}, nil
		},
	}
	err := Run(context.Background(), opts)
	want := `refusing to start xtts and vision together: they conflict ("xtts" is in coven "xtts", "vana" in coven "vision", and no alliance joins them; list them in one alliance in lychd.toml to run them together)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if len(fake.Calls) != 0 {
		t.Errorf("systemd was called: %v", fake.Calls)
	}
}
