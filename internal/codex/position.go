package codex

import (
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// seg is one step of a key path: a table key, or an index into an array
// when idx >= 0.
type seg struct {
	key string
	idx int
}

// keyPath addresses a value in a TOML document, e.g. vision.devices[1].
type keyPath []seg

// child returns p extended by key. It never aliases p's storage.
func (p keyPath) child(key string) keyPath {
	return append(p[:len(p):len(p)], seg{key: key, idx: -1})
}

// index returns p extended by an array index.
func (p keyPath) index(i int) keyPath {
	return append(p[:len(p):len(p)], seg{idx: i})
}

// id is an unambiguous map key for p.
func (p keyPath) id() string {
	var b strings.Builder
	for _, s := range p {
		if s.idx >= 0 {
			b.WriteString("[" + strconv.Itoa(s.idx) + "]")
		} else {
			b.WriteString("." + strconv.Quote(s.key))
		}
	}
	return b.String()
}

// String renders p as a TOML key for messages: bare keys where TOML allows
// them, quoted keys otherwise, and [i] for array elements.
func (p keyPath) String() string {
	var b strings.Builder
	for i, s := range p {
		if s.idx >= 0 {
			b.WriteString("[" + strconv.Itoa(s.idx) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if isBareKey(s.key) {
			b.WriteString(s.key)
		} else {
			b.WriteString(strconv.Quote(s.key))
		}
	}
	return b.String()
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// positions maps key paths of one document to the lines where they are
// defined. It is built from go-toml's unstable parser, which keeps the
// location of every key, table header and value.
type positions struct {
	newlines []int          // byte offsets of '\n'
	header   map[string]int // explicit [table] / [[array]] headers
	first    map[string]int // first line that mentions a path
}

// indexPositions walks the document. It must only be called on a document
// go-toml decoded without error; if the parser still fails, the positions
// gathered so far are kept.
func indexPositions(data []byte) *positions {
	ps := &positions{header: map[string]int{}, first: map[string]int{}}
	for i, c := range data {
		if c == '\n' {
			ps.newlines = append(ps.newlines, i)
		}
	}
	var p unstable.Parser
	p.Reset(data)
	var cur keyPath
	arrays := map[string]int{} // array-of-tables path -> elements so far
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			var path keyPath
			line := 0
			it := e.Key()
			for it.Next() {
				k := it.Node()
				l := ps.lineOf(k)
				if line == 0 {
					line = l
				}
				path = path.child(string(k.Data))
				ps.mark(path, line)
				if n := arrays[path.id()]; n > 0 && (e.Kind == unstable.Table || !it.IsLast()) {
					path = path.index(n - 1)
				}
			}
			if e.Kind == unstable.ArrayTable {
				n := arrays[path.id()]
				arrays[path.id()] = n + 1
				path = path.index(n)
			}
			ps.header[path.id()] = line
			ps.mark(path, line)
			cur = path
		case unstable.KeyValue:
			ps.keyValue(cur, e)
		}
	}
	return ps
}

// keyValue records a key = value expression under base.
func (ps *positions) keyValue(base keyPath, kv *unstable.Node) {
	path := base
	line := 0
	it := kv.Key()
	for it.Next() {
		k := it.Node()
		line = ps.lineOf(k)
		path = path.child(string(k.Data))
		ps.mark(path, line)
	}
	ps.value(path, kv.Value(), line)
}

// value records the elements of arrays and inline tables.
func (ps *positions) value(path keyPath, v *unstable.Node, line int) {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if n := it.Node(); n.Kind == unstable.KeyValue {
				ps.keyValue(path, n)
			}
		}
	case unstable.Array:
		i := 0
		it := v.Children()
		for it.Next() {
			n := it.Node()
			if n.Kind == unstable.Comment {
				continue
			}
			l := ps.nodeLine(n, line)
			elem := path.index(i)
			ps.mark(elem, l)
			ps.value(elem, n, l)
			i++
		}
	}
}

func (ps *positions) mark(p keyPath, line int) {
	if _, ok := ps.first[p.id()]; !ok {
		ps.first[p.id()] = line
	}
}

// nodeLine returns the line where value n starts. Arrays carry no position
// of their own: they take their first element's, else fallback.
func (ps *positions) nodeLine(n *unstable.Node, fallback int) int {
	if n.Raw.Length > 0 {
		return ps.lineOf(n)
	}
	if n.Kind == unstable.Array {
		it := n.Children()
		for it.Next() {
			if c := it.Node(); c.Kind != unstable.Comment {
				return ps.nodeLine(c, fallback)
			}
		}
	}
	return fallback
}

// lineOf returns the 1-based line where node n starts.
func (ps *positions) lineOf(n *unstable.Node) int {
	off := int(n.Raw.Offset)
	return sort.SearchInts(ps.newlines, off) + 1
}

// line returns the line of p: its table header, else the first line that
// mentions it, else the line of its closest known parent, else 1.
func (ps *positions) line(p keyPath) int {
	for n := len(p); n > 0; n-- {
		id := p[:n].id()
		if l, ok := ps.header[id]; ok {
			return l
		}
		if l, ok := ps.first[id]; ok {
			return l
		}
	}
	return 1
}
