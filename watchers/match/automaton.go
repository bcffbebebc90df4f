package match

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// The automaton is Aho-Corasick over tokens rather than bytes: every distinct token of every
// term gets an id, the terms form a trie of ids, and a text is scanned one token at a time.
// Tokens that no term contains reset the scan at once, which is most of a news text. The
// trie is stored flat (sorted edge lists, one dense array for the root), so that 100,000
// names take tens of megabytes and build in a fraction of a second.

// tokenTable maps a token's folded bytes to its id: open addressing, linear probing. Most
// tokens of a text are in no term, so each slot has a one-byte fingerprint in a separate,
// small array: a miss rarely reads a slot.
type tokenTable struct {
	fps   []uint8 // fingerprints; 0 marks an empty slot
	slots []tokenSlot
	mask  uint64
	keys  []byte // the tokens' bytes, each slot's at keys[off:off+n]
}

type tokenSlot struct {
	head uint64 // the first 8 bytes, zero padded
	off  uint32
	n    uint32
	id   int32
}

func newTokenTable(n int) tokenTable {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return tokenTable{fps: make([]uint8, size), slots: make([]tokenSlot, size), mask: uint64(size - 1)}
}

// fingerprint is a non-zero byte of the hash, from bits the slot index does not use.
func fingerprint(h uint64) uint8 { return uint8(h>>56) | 1 }

// headMask keeps the first n bytes of a little-endian word.
var headMask = [9]uint64{0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffff, 0xffffffffffff, 0xffffffffffffff, ^uint64(0)}

// head returns the first 8 bytes of b as a little-endian number, zero padded.
func head(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.LittleEndian.Uint64(b)
	}
	var v uint64
	for i, c := range b {
		v |= uint64(c) << (8 * i)
	}
	return v
}

func hashToken(b []byte, h0 uint64) uint64 {
	const k0, k1 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F
	h := (h0 ^ uint64(len(b))*k0) * k1
	for b = b[min(8, len(b)):]; len(b) > 0; b = b[min(8, len(b)):] {
		h = bits.RotateLeft64(h^head(b)*k0, 29) * k1
	}
	h ^= h >> 32
	h *= k0
	return h ^ h>>29
}

func (t *tokenTable) insert(b []byte, id int32) {
	hd := head(b)
	h := hashToken(b, hd)
	fp := fingerprint(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		if t.fps[i] == 0 {
			t.fps[i] = fp
			t.slots[i] = tokenSlot{head: hd, off: uint32(len(t.keys)), n: uint32(len(b)), id: id}
			t.keys = append(t.keys, b...)
			return
		}
		if t.fps[i] == fp && t.equal(&t.slots[i], hd, b) {
			return
		}
	}
}

// lookup returns the id of the token buf[lo:hi], or -1. buf must have 8 readable bytes
// from lo (the tokenizer leaves that slack).
func (t *tokenTable) lookup(buf []byte, lo, hi int32) int32 {
	b := buf[lo:hi]
	hd := binary.LittleEndian.Uint64(buf[lo:lo+8]) & headMask[min(len(b), 8)]
	h := hashToken(b, hd)
	fp := fingerprint(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		switch t.fps[i] {
		case 0:
			return -1
		case fp:
			if s := &t.slots[i]; t.equal(s, hd, b) {
				return s.id
			}
		}
	}
}

func (t *tokenTable) equal(s *tokenSlot, hd uint64, b []byte) bool {
	return s.head == hd && int(s.n) == len(b) &&
		(len(b) <= 8 || string(t.keys[s.off+8:s.off+s.n]) == string(b[8:]))
}

// node is one state of the automaton; node 0 is the root.
type node struct {
	first, end int32 // its edges: edges[first:end], sorted by token
	fail       int32 // the longest proper suffix that is a node
	out        int32 // itself if a pattern ends here, else the nearest suffix with one; 0: none
}

type edge struct {
	tok, to int32
}

// ref is what a pattern ending at a node stands for.
type ref struct {
	watch int32
	term  int32  // index in the watch's terms; -1 for an exclusion
	caps  uint32 // the pattern's tokens that must be initialisms or capitals in the text
	cased bool   // the term has a capital letter
}

// automaton is the compiled trie; it is never changed after build.
type automaton struct {
	tokens   tokenTable
	rootNext []int32 // the root's child for each token id; 0 for none
	nodes    []node
	edges    []edge
	depth    []int32 // tokens from the root
	outStart []int32 // refs of node n: refs[outStart[n]:outStart[n+1]]
	refs     []ref
}

// pattern is one token sequence to find, before the build.
type pattern struct {
	off, n int32 // tokens: patternTokens[off:off+n]
	ref    ref
}

// build compiles the patterns, whose tokens are ids below nTokens.
func build(tokens tokenTable, nTokens int, arena []int32, ps []pattern) *automaton {
	seq := func(p pattern) []int32 { return arena[p.off : p.off+p.n] }
	slices.SortFunc(ps, func(a, b pattern) int {
		if c := slices.Compare(seq(a), seq(b)); c != 0 {
			return c
		}
		if a.ref.watch != b.ref.watch {
			return int(a.ref.watch - b.ref.watch)
		}
		return int(a.ref.term - b.ref.term)
	})
	// One ref per watch and kind at a node: the first term of the watch that spells it.
	ps = slices.CompactFunc(ps, func(a, b pattern) bool {
		return a.ref.watch == b.ref.watch && (a.ref.term < 0) == (b.ref.term < 0) && slices.Equal(seq(a), seq(b))
	})

	a := &automaton{tokens: tokens, rootNext: make([]int32, nTokens)}
	a.nodes = append(a.nodes, node{})
	a.depth = append(a.depth, 0)
	type rawEdge struct{ from, tok, to int32 }
	var raw []rawEdge
	terminal := make([]int32, len(ps)) // the node each pattern ends at
	path := []int32{0}
	var prev []int32
	for i, p := range ps {
		s := seq(p)
		l := 0
		for l < len(s) && l < len(prev) && s[l] == prev[l] {
			l++
		}
		path = path[:l+1]
		for d := l; d < len(s); d++ {
			n := int32(len(a.nodes))
			a.nodes = append(a.nodes, node{})
			a.depth = append(a.depth, int32(d+1))
			if d == 0 {
				a.rootNext[s[d]] = n
			} else {
				raw = append(raw, rawEdge{path[d], s[d], n})
			}
			path = append(path, n)
		}
		terminal[i] = path[len(s)]
		prev = s
	}

	// Edges grouped by their node; the sorted patterns made each node's edges in token order.
	count := make([]int32, len(a.nodes)+1)
	for _, e := range raw {
		count[e.from+1]++
	}
	for n := range a.nodes {
		count[n+1] += count[n]
		a.nodes[n].first, a.nodes[n].end = count[n], count[n]
	}
	a.edges = make([]edge, len(raw))
	for _, e := range raw {
		nd := &a.nodes[e.from]
		a.edges[nd.end] = edge{e.tok, e.to}
		nd.end++
	}

	// Refs grouped by node.
	a.outStart = make([]int32, len(a.nodes)+1)
	for _, n := range terminal {
		a.outStart[n+1]++
	}
	for n := range a.nodes {
		a.outStart[n+1] += a.outStart[n]
	}
	a.refs = make([]ref, len(ps))
	fill := slices.Clone(a.outStart[:len(a.nodes)])
	for i, p := range ps {
		n := terminal[i]
		a.refs[fill[n]] = p.ref
		fill[n]++
	}

	// Failure and output links, breadth first so that a node's suffixes are done before it.
	queue := make([]int32, 0, len(a.nodes))
	for _, n := range a.rootNext {
		if n != 0 {
			a.nodes[n].fail = 0
			a.nodes[n].out = a.ownOut(n)
			queue = append(queue, n)
		}
	}
	for q := 0; q < len(queue); q++ {
		u := queue[q]
		for _, e := range a.edges[a.nodes[u].first:a.nodes[u].end] {
			f := a.step(a.nodes[u].fail, e.tok)
			v := &a.nodes[e.to]
			v.fail = f
			if v.out = a.ownOut(e.to); v.out == 0 {
				v.out = a.nodes[f].out
			}
			queue = append(queue, e.to)
		}
	}
	return a
}

func (a *automaton) ownOut(n int32) int32 {
	if a.outStart[n] < a.outStart[n+1] {
		return n
	}
	return 0
}

// step is the transition from state s on token tok.
func (a *automaton) step(s, tok int32) int32 {
	for s != 0 {
		nd := &a.nodes[s]
		if c := a.child(nd, tok); c != 0 {
			return c
		}
		s = nd.fail
	}
	return a.rootNext[tok]
}

func (a *automaton) child(nd *node, tok int32) int32 {
	es := a.edges[nd.first:nd.end]
	if len(es) <= 8 {
		for _, e := range es {
			if e.tok == tok {
				return e.to
			}
		}
		return 0
	}
	i, ok := slices.BinarySearchFunc(es, tok, func(e edge, t int32) int { return int(e.tok - t) })
	if ok {
		return es[i].to
	}
	return 0
}
