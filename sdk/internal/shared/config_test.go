package shared

import (
	"errors"
	"testing"
)

type level int

func (l *level) UnmarshalText([]byte) error { *l = 1; return nil }

type Base struct {
	Verbose bool `json:"verbose"`
}

type model struct {
	Name  string `json:"name"`
	Quant string `json:"quant,omitempty"`
}

type nested struct {
	Base
	Models  []model          `json:"models"`
	ByName  map[string]model `json:"by_name"`
	Level   level            `json:"level"`
	Skipped string           `json:"-"`
	Plain   int
	//lint:ignore U1000 an unexported field, which encoding/json does not decode into
	hidden int
}

// TestUnknownKeysAreNamedWithTheirPath: an unknown key anywhere in the
// table is a *ConfigError with its path and the keys known beside it.
func TestUnknownKeysAreNamedWithTheirPath(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want string // ConfigError.Error(), "" for success
		key  string
	}{
		{raw: `{"verbose": true, "Plain": 1, "plain": 2, "level": "x", "models": [{"name": "a"}], "by_name": {"x": {"quant": "q4"}}}`},
		{raw: `{"modls": []}`, key: "modls",
			want: `decoding the extension's config table: unknown key "modls" (known keys: "Plain", "by_name", "level", "models", "verbose"; check its spelling in lychd.toml)`},
		{raw: `{"models": [{"name": "a"}, {"nmae": "b"}]}`, key: "models[1].nmae",
			want: `decoding the extension's config table: unknown key "models[1].nmae" (known keys: "name", "quant"; check its spelling in lychd.toml)`},
		{raw: `{"by_name": {"x": {"qaunt": "q4"}}}`, key: "by_name.x.qaunt",
			want: `decoding the extension's config table: unknown key "by_name.x.qaunt" (known keys: "name", "quant"; check its spelling in lychd.toml)`},
		{raw: `{"hidden": 1}`, key: "hidden",
			want: `decoding the extension's config table: unknown key "hidden" (known keys: "Plain", "by_name", "level", "models", "verbose"; check its spelling in lychd.toml)`},
		{raw: `{"Skipped": "x"}`, key: "Skipped",
			want: `decoding the extension's config table: unknown key "Skipped" (known keys: "Plain", "by_name", "level", "models", "verbose"; check its spelling in lychd.toml)`},
		{raw: `{"models": [{"name": 3}]}`, key: "models.name",
			want: `decoding the extension's config table: key "models.name": got number, the extension expects string`},
	} {
		var v nested
		err := DecodeConfig([]byte(tc.raw), &v)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("DecodeConfig(%s):\n got %s\nwant %s", tc.raw, got, tc.want)
		}
		var ce *ConfigError
		if tc.want != "" && (!errors.As(err, &ce) || ce.Key != tc.key) {
			t.Errorf("DecodeConfig(%s): %#v, want a *ConfigError for key %q", tc.raw, err, tc.key)
		}
	}
}
