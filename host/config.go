package host

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lychd/lychd/internal/spelling"
	"github.com/lychd/lychd/sdk"
)

// configFailure phrases an error an extension returned for a config table
// that does not fit it (*sdk.ConfigError): at the key's place in the Codex
// when Options.Locate knows it, with a "did you mean" for an unknown key.
// ok is false for other errors.
func configFailure(opts Options, name string, err error) (msg string, ok bool) {
	var ce *sdk.ConfigError
	if !errors.As(err, &ce) || opts.Locate == nil {
		return "", false
	}
	where := opts.Locate(name, ce.Key)
	if where == "" {
		return "", false
	}
	if !ce.Unknown {
		return where + ": " + ce.Problem, true
	}
	leaf := ce.Key[strings.LastIndexAny(ce.Key, ".]")+1:]
	var b strings.Builder
	b.WriteString(where + ": the extension has no such key")
	if s := spelling.Closest(leaf, ce.Known, 2); s != "" {
		fmt.Fprintf(&b, "; did you mean %q?", s)
	}
	if len(ce.Known) > 0 {
		q := make([]string, len(ce.Known))
		for i, k := range ce.Known {
			q[i] = strconv.Quote(k)
		}
		fmt.Fprintf(&b, " (its keys here: %s)", strings.Join(q, ", "))
	}
	return b.String(), true
}

// unknownTables refuses config tables of extensions that are not
// installed: a misspelt [extensions.NAME] table, or one left behind by
// lychd extension remove, would otherwise be ignored without a word.
func unknownTables(opts Options, installed []string) error {
	have := map[string]bool{CoreName: true}
	for _, n := range installed {
		have[n] = true
	}
	var names []string
	for n := range opts.Config {
		if !have[n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	var lines []string
	for _, n := range names {
		where := ""
		if opts.Locate != nil {
			where = opts.Locate(n, "")
		}
		if where == "" {
			where = "[extensions." + n + "]"
		}
		msg := fmt.Sprintf("%s: no extension %s is installed", where, quoteName(n))
		if s := spelling.Closest(n, installed, 2); s != "" {
			msg += fmt.Sprintf("; did you mean %q? Rename the table", s)
		} else {
			msg += "; install it, or delete the table if the extension was removed"
		}
		if len(installed) > 0 {
			msg += " (installed: " + strings.Join(installed, ", ") + ")"
		} else {
			msg += " (no extension is installed)"
		}
		lines = append(lines, msg)
	}
	return errors.New(strings.Join(lines, "\n"))
}
