package hdf5

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Object is a group or a dataset.
type Object interface {
	// Name is the last link name on the path ("/" for the root).
	Name() string
	// Path is the path the object was reached by, e.g. "/node/nodes/lif".
	Path() string
	// Attrs lists the object's attributes sorted by name.
	Attrs() ([]*Attribute, error)
}

var (
	_ Object = (*Group)(nil)
	_ Object = (*Dataset)(nil)
)

// Group is an HDF5 group.
type Group struct {
	f    *File
	name string
	path string
	addr uint64
}

// Name returns the group's link name ("/" for the root).
func (g *Group) Name() string { return g.name }

// Path returns the group's path.
func (g *Group) Path() string { return g.path }

// Attrs lists the group's attributes sorted by name.
func (g *Group) Attrs() ([]*Attribute, error) {
	oh, err := g.f.header(g.addr)
	if err != nil {
		return nil, withPath(err, g.path)
	}
	a, err := g.f.attributes(oh, g.path)
	return a, withPath(err, g.path)
}

type linkKind int

const (
	linkHard linkKind = iota
	linkSoft
	linkExternal
)

type link struct {
	name string
	kind linkKind
	addr uint64 // hard links
	soft string // soft links: the target path
}

// Members returns the names of the group's links, sorted.
func (g *Group) Members() ([]string, error) {
	ls, err := g.links()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.name
	}
	return names, nil
}

// links lists the group's links sorted by name, from whichever storage the
// group uses: a symbol table (old-style groups), link messages (compact
// new-style groups) or a fractal heap indexed by a v2 B-tree (dense).
func (g *Group) links() ([]link, error) {
	f := g.f
	f.mu.Lock()
	ll := f.links[g.addr]
	f.mu.Unlock()
	if ll == nil {
		ll = &linkList{}
		ll.links, ll.err = g.readLinks()
		f.mu.Lock()
		f.links[g.addr] = ll
		f.mu.Unlock()
	}
	return ll.links, withPath(ll.err, g.path)
}

// linkList caches a group's links per file, since path lookups list them.
type linkList struct {
	links []link
	err   error
}

func (g *Group) readLinks() ([]link, error) {
	f := g.f
	oh, err := f.header(g.addr)
	if err != nil {
		return nil, withPath(err, g.path)
	}
	var ls []link
	for _, m := range oh.msgs {
		switch m.typ {
		case msgSymbolTable:
			c := &cursor{f: f, b: m.data, at: m.at}
			bt, heap := c.addr(), c.addr()
			if c.err != nil {
				return nil, withPath(c.err, g.path)
			}
			sl, err := f.symbolTable(bt, heap)
			if err != nil {
				return nil, withPath(err, g.path)
			}
			ls = append(ls, sl...)
		case msgLink:
			l, err := f.parseLink(m.data, m.at)
			if err != nil {
				return nil, withPath(err, g.path)
			}
			ls = append(ls, l)
		case msgLinkInfo:
			dl, err := f.denseLinks(m.data, m.at)
			if err != nil {
				return nil, withPath(err, g.path)
			}
			ls = append(ls, dl...)
		}
	}
	slices.SortFunc(ls, func(a, b link) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(ls); i++ {
		if ls[i].name == ls[i-1].name {
			return nil, withPath(errAt(-1, "link %q appears twice", ls[i].name), g.path)
		}
	}
	return ls, nil
}

// symbolTable lists an old-style group: a version 1 B-tree of node type 0
// whose leaves point at symbol table nodes ("Disk Format: Level 1C - Symbol
// Table Entry", "Symbol Table Node"), with names in a local heap.
func (f *File) symbolTable(btree, heapAddr uint64) ([]link, error) {
	heap, err := f.localHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	var ls []link
	entry := 2*f.offSize + 4 + 4 + 16
	err = f.walkBTree1(btree, 0, f.lenSize, func(_ []byte, _ int64, snod uint64) error {
		c, err := f.cursorAt(snod, 8)
		if err != nil {
			return err
		}
		if !bytes.Equal(c.bytes(4), []byte("SNOD")) {
			return errAt(c.at, "expected symbol table node signature SNOD")
		}
		c.skip(2)
		n := int(c.u16())
		c, err = f.cursorAt(snod+8, uint64(n*entry))
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			at := c.off()
			nameOff := c.length()
			addr := c.addr()
			cache := c.u32()
			c.skip(4)
			scratch := c.bytes(16)
			if c.err != nil {
				return c.err
			}
			name, ok := heap.str(nameOff)
			if !ok {
				return errAt(at, "symbol table entry name offset %d outside the local heap", nameOff)
			}
			l := link{name: name, kind: linkHard, addr: addr}
			if cache == 2 {
				// Soft link: the scratch pad holds the offset of the target
				// path in the local heap.
				target, ok := heap.str(uint64(le.Uint32(scratch)))
				if !ok {
					return errAt(at, "soft link %q target outside the local heap", name)
				}
				l = link{name: name, kind: linkSoft, soft: target}
			}
			ls = append(ls, l)
			if len(ls) > f.maxLinks() {
				return errAt(at, "too many links")
			}
		}
		return nil
	})
	return ls, err
}

// maxLinks bounds the links of one group by what the file could hold.
func (f *File) maxLinks() int { return int(f.size/8) + 16 }

// parseLink decodes a link message ("Disk Format: Level 2A2 - Link Message").
func (f *File) parseLink(b []byte, at int64) (link, error) {
	c := &cursor{f: f, b: b, at: at}
	var l link
	if v := c.u8(); v != 1 {
		return l, unsupportedAt(at, "link message version %d", v)
	}
	flags := c.u8()
	typ := uint8(0)
	if flags&0x08 != 0 {
		typ = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8) // creation order
	}
	if flags&0x10 != 0 {
		c.skip(1) // character set
	}
	n := c.uvar(1 << (flags & 3))
	if n == 0 || n > uint64(c.rest()) {
		return l, errAt(at, "link name of %d bytes", n)
	}
	l.name = string(c.bytes(int(n)))
	switch typ {
	case 0:
		l.kind, l.addr = linkHard, c.addr()
	case 1:
		l.kind = linkSoft
		l.soft = string(c.bytes(int(c.u16())))
	case 64:
		l.kind = linkExternal
	default:
		return l, unsupportedAt(at, "link type %d", typ)
	}
	return l, c.err
}

// denseLinks lists the links stored in a fractal heap named by a link info
// message ("Link Info Message"), through the name index v2 B-tree (record
// type 5: name hash and heap ID).
func (f *File) denseLinks(b []byte, at int64) ([]link, error) {
	c := &cursor{f: f, b: b, at: at}
	c.u8() // version
	flags := c.u8()
	if flags&1 != 0 {
		c.skip(8) // maximum creation index
	}
	heapAddr, nameIdx := c.addr(), c.addr()
	if c.err != nil {
		return nil, c.err
	}
	if heapAddr == undef || nameIdx == undef {
		return nil, nil
	}
	heap, err := f.fractalHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	var ls []link
	err = f.walkBTree2(nameIdx, func(rec []byte, at int64) error {
		if len(rec) < 5 {
			return errAt(at, "short link name record")
		}
		obj, err := heap.object(rec[4:], at+4)
		if err != nil {
			return err
		}
		l, err := f.parseLink(obj, at)
		if err != nil {
			return err
		}
		ls = append(ls, l)
		if len(ls) > f.maxLinks() {
			return errAt(at, "too many links")
		}
		return nil
	})
	return ls, err
}

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// maxSoftHops bounds soft link chains (the library's default is 16).
const maxSoftHops = 16

// Get returns the object at name, a link name or a path relative to g (or
// absolute, from the root). Soft links are followed; external links and
// named datatypes give an error wrapping ErrUnsupported.
func (g *Group) Get(name string) (Object, error) {
	return g.get(name, 0)
}

func (g *Group) get(name string, hops int) (Object, error) {
	if hops > maxSoftHops {
		return nil, &Error{Path: joinPath(g.path, name), Offset: -1, Msg: "too many soft links"}
	}
	cur := g
	if strings.HasPrefix(name, "/") {
		cur = g.f.Root()
	}
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '/' })
	if len(parts) == 0 {
		return cur, nil
	}
	for i, p := range parts {
		if p == "." {
			if i == len(parts)-1 {
				return cur, nil
			}
			continue
		}
		ls, err := cur.links()
		if err != nil {
			return nil, err
		}
		j, ok := slices.BinarySearchFunc(ls, p, func(l link, s string) int { return strings.Compare(l.name, s) })
		if !ok {
			return nil, &Error{Path: joinPath(cur.path, p), Offset: -1, Msg: "no such object"}
		}
		obj, err := cur.open(ls[j], hops)
		if err != nil {
			return nil, err
		}
		if i == len(parts)-1 {
			return obj, nil
		}
		next, ok := obj.(*Group)
		if !ok {
			return nil, &Error{Path: obj.Path(), Offset: -1, Msg: "not a group"}
		}
		cur = next
	}
	return cur, nil
}

// open returns the object a link of g points at.
func (g *Group) open(l link, hops int) (Object, error) {
	path := joinPath(g.path, l.name)
	switch l.kind {
	case linkExternal:
		return nil, &Error{Path: path, Offset: -1, Msg: "external link", Err: ErrUnsupported}
	case linkSoft:
		obj, err := g.get(l.soft, hops+1)
		if err != nil {
			return nil, withPath(err, path)
		}
		// Keep the path the object was reached by, as h5py does.
		switch o := obj.(type) {
		case *Group:
			o2 := *o
			o2.name, o2.path = l.name, path
			return &o2, nil
		case *Dataset:
			o2 := *o
			o2.name, o2.path = l.name, path
			return &o2, nil
		}
		return obj, nil
	}
	return g.f.object(l.addr, l.name, path)
}

// object opens the object header at addr as a group or dataset: datasets
// carry a data layout message, groups a symbol table, link info or link
// messages (or nothing, for an empty new-style group).
func (f *File) object(addr uint64, name, path string) (Object, error) {
	oh, err := f.header(addr)
	if err != nil {
		return nil, withPath(err, path)
	}
	isDatatype := false
	for _, m := range oh.msgs {
		switch m.typ {
		case msgLayout:
			d, err := f.dataset(oh, name, path)
			return d, withPath(err, path)
		case msgDatatype:
			isDatatype = true
		}
	}
	if isDatatype {
		return nil, &Error{Path: path, Offset: int64(addr + f.base), Msg: "named datatype", Err: ErrUnsupported}
	}
	return &Group{f: f, name: name, path: path, addr: addr}, nil
}

// Group returns the group at name (see Get).
func (g *Group) Group(name string) (*Group, error) {
	obj, err := g.Get(name)
	if err != nil {
		return nil, err
	}
	sub, ok := obj.(*Group)
	if !ok {
		return nil, &Error{Path: obj.Path(), Offset: -1, Msg: "is a dataset, not a group"}
	}
	return sub, nil
}

// Dataset returns the dataset at name (see Get).
func (g *Group) Dataset(name string) (*Dataset, error) {
	obj, err := g.Get(name)
	if err != nil {
		return nil, err
	}
	d, ok := obj.(*Dataset)
	if !ok {
		return nil, &Error{Path: obj.Path(), Offset: -1, Msg: "is a group, not a dataset"}
	}
	return d, nil
}

// Walk calls fn for g and then for every group and dataset below it, depth
// first with members in name order, stopping at the first error. A group
// reachable by several paths (hard links) is descended into once; external
// links and named datatypes are skipped.
func (g *Group) Walk(fn func(obj Object) error) error {
	seen := map[uint64]bool{}
	var walk func(g *Group) error
	walk = func(g *Group) error {
		if err := fn(g); err != nil {
			return err
		}
		if seen[g.addr] {
			return nil
		}
		seen[g.addr] = true
		ls, err := g.links()
		if err != nil {
			return err
		}
		for _, l := range ls {
			obj, err := g.open(l, 0)
			if errors.Is(err, ErrUnsupported) && (l.kind == linkExternal || isNamedDatatype(err)) {
				continue
			}
			if err != nil {
				return err
			}
			if sub, ok := obj.(*Group); ok {
				if err := walk(sub); err != nil {
					return err
				}
			} else if err := fn(obj); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(g)
}

func isNamedDatatype(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Msg == "named datatype"
}

func (g *Group) String() string { return fmt.Sprintf("group %s", g.path) }
