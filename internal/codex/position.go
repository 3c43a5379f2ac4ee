package codex

import (
	"fmt"
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

// MaxKeyDepth is how deeply keys, tables and arrays may nest in a Codex
// file: a key path (table names, dotted key parts and array indexes) may
// have at most this many parts. The Codex's own tables need four; the limit
// leaves room for an extension's settings and keeps every key path short.
const MaxKeyDepth = 32

// MaxKeysPerFile and MaxKeys bound the keys (every table name and key
// part that names something new) of one Codex file and of the whole Codex.
// The TOML decoder looks each key up among all the keys before it, so its
// cost grows with the square of a file's keys; these bounds keep a Load
// under a second whatever the files hold, and are far above what a Codex
// needs (a soulstone has about fifteen).
const (
	MaxKeysPerFile = 4096
	MaxKeys        = 65536
)

// positions maps key paths of one document to the lines where they are
// defined. It is built from go-toml's unstable parser, which keeps the
// location of every key, table header and value, as a tree with one node
// per path, so that recording a key and looking one up cost one step per
// part of its path.
type positions struct {
	newlines []int // byte offsets of '\n'
	root     posNode
	keys     int // nodes named by a key
}

// posNode is one key path of the document.
type posNode struct {
	parent   *posNode
	seg      seg
	children map[seg]*posNode
	// header is the line of an explicit [table] or [[array]] header, first
	// the first line that mentions the path; 0 when unknown.
	header, first int
	// elems counts the [[array]] headers of an array of tables so far.
	elems int
	depth int
}

// path returns the key path of n.
func (n *posNode) path() keyPath {
	p := make(keyPath, n.depth)
	for ; n.parent != nil; n = n.parent {
		p[n.depth-1] = n.seg
	}
	return p
}

func (n *posNode) mark(line int) {
	if n.first == 0 {
		n.first = line
	}
}

// tooMuch reports a document that nests a path deeper than MaxKeyDepth or
// names more than its share of keys.
type tooMuch struct {
	line int
	// at is the deepest node reached; depth how deep the path goes.
	at    *posNode
	depth int
	// keys is set when the document has too many keys, total when that is
	// because of the keys of the whole Codex.
	keys, total bool
}

// error renders e for file.
func (e *tooMuch) error(file string) *Error {
	switch {
	case e.total:
		return &Error{File: file, Line: e.line,
			Msg: fmt.Sprintf("brings the Codex past %d keys; lychd reads at most %d keys in the whole Codex: remove soulstones, portals or settings", MaxKeys, MaxKeys)}
	case e.keys:
		return &Error{File: file, Line: e.line,
			Msg: fmt.Sprintf("holds more than %d keys; lychd reads at most %d keys per file: split the file into several", MaxKeysPerFile, MaxKeysPerFile)}
	}
	return &Error{File: file, Line: e.line, Key: e.at.path().String() + "...",
		Msg: fmt.Sprintf("nested %d levels deep; lychd reads keys, tables and arrays at most %d levels deep: flatten this table", e.depth, MaxKeyDepth)}
}

// walker builds positions, stopping at the first path too deep and at too
// many keys.
type walker struct {
	ps *positions
	// maxKeys is how many keys the document may still name.
	maxKeys int
}

// child returns the node of n extended by s, creating it, or a tooMuch.
// more is how many levels the path has beyond s (for the message).
func (w *walker) child(n *posNode, s seg, line int, more func() int) (*posNode, *tooMuch) {
	if c := n.children[s]; c != nil {
		return c, nil
	}
	if n.depth >= MaxKeyDepth {
		return nil, &tooMuch{line: line, at: n, depth: n.depth + 1 + more()}
	}
	if s.idx < 0 {
		if w.ps.keys >= w.maxKeys {
			return nil, &tooMuch{line: line, keys: true, total: w.maxKeys < MaxKeysPerFile}
		}
		w.ps.keys++
	}
	if n.children == nil {
		n.children = map[seg]*posNode{}
	}
	c := &posNode{parent: n, seg: s, depth: n.depth + 1}
	n.children[s] = c
	return c, nil
}

func none() int { return 0 }

// indexPositions walks the document. It must run before go-toml decodes
// the document: it stops at the first key path deeper than MaxKeyDepth and
// at the key past maxKeys (at most MaxKeysPerFile), so that nothing else
// pays for such a document. A syntax error also stops it; the positions
// gathered so far are kept and the decoder reports the error.
func indexPositions(data []byte, maxKeys int) (*positions, *tooMuch) {
	w := &walker{ps: &positions{}, maxKeys: min(maxKeys, MaxKeysPerFile)}
	ps := w.ps
	for i, c := range data {
		if c == '\n' {
			ps.newlines = append(ps.newlines, i)
		}
	}
	var p unstable.Parser
	p.Reset(data)
	cur := &ps.root
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			n := &ps.root
			line := 0
			it := e.Key()
			rest := func() int { return countRest(&it) }
			for it.Next() {
				k := it.Node()
				if line == 0 {
					line = ps.lineOf(k)
				}
				var err *tooMuch
				if n, err = w.child(n, seg{key: string(k.Data), idx: -1}, line, rest); err != nil {
					return ps, err
				}
				n.mark(line)
				if n.elems > 0 && (e.Kind == unstable.Table || !it.IsLast()) {
					if n, err = w.child(n, seg{idx: n.elems - 1}, line, rest); err != nil {
						return ps, err
					}
				}
			}
			if e.Kind == unstable.ArrayTable {
				n.elems++
				var err *tooMuch
				if n, err = w.child(n, seg{idx: n.elems - 1}, line, none); err != nil {
					return ps, err
				}
			}
			if n.header == 0 {
				n.header = line
			}
			n.mark(line)
			cur = n
		case unstable.KeyValue:
			if err := w.keyValue(cur, e); err != nil {
				return ps, err
			}
		}
	}
	return ps, nil
}

// countRest counts the key parts it has left.
func countRest(it *unstable.Iterator) int {
	n := 0
	for it.Next() {
		n++
	}
	return n
}

// keyValue records a key = value expression under base.
func (w *walker) keyValue(base *posNode, kv *unstable.Node) *tooMuch {
	n := base
	line := 0
	it := kv.Key()
	rest := func() int { return countRest(&it) + valueDepth(kv.Value()) }
	for it.Next() {
		k := it.Node()
		line = w.ps.lineOf(k)
		var err *tooMuch
		if n, err = w.child(n, seg{key: string(k.Data), idx: -1}, line, rest); err != nil {
			return err
		}
		n.mark(line)
	}
	return w.value(n, kv.Value(), line)
}

// valueDepth is how many levels of arrays and inline tables nest below v.
func valueDepth(v *unstable.Node) int {
	deepest := 0
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				k := c.Key()
				deepest = max(deepest, countRest(&k)+valueDepth(c.Value()))
			}
		}
	case unstable.Array:
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind != unstable.Comment {
				deepest = max(deepest, 1+valueDepth(c))
			}
		}
	}
	return deepest
}

// value records the elements of arrays and inline tables.
func (w *walker) value(n *posNode, v *unstable.Node, line int) *tooMuch {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				if err := w.keyValue(n, c); err != nil {
					return err
				}
			}
		}
	case unstable.Array:
		i := 0
		it := v.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			l := w.ps.nodeLine(c, line)
			elem, err := w.child(n, seg{idx: i}, l, func() int { return valueDepth(c) })
			if err != nil {
				return err
			}
			elem.mark(l)
			if err := w.value(elem, c, l); err != nil {
				return err
			}
			i++
		}
	}
	return nil
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
	best := 1
	n := &ps.root
	for _, s := range p {
		n = n.children[s]
		if n == nil {
			break
		}
		switch {
		case n.header > 0:
			best = n.header
		case n.first > 0:
			best = n.first
		}
	}
	return best
}
