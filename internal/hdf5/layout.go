package hdf5

import (
	"bytes"
	"compress/zlib"
	"io"
	"math/bits"
)

// Storage layout classes and version 4 chunk index types ("Disk Format:
// Level 2A2 - Data Layout Message").
const (
	layoutCompact    = 0
	layoutContiguous = 1
	layoutChunked    = 2

	indexBTree1      = 0 // layout version 1–3: version 1 B-tree
	indexSingle      = 1
	indexImplicit    = 2
	indexFixedArray  = 3
	indexExtensible  = 4
	indexBTree2      = 5
	maxFilterClients = 32
)

type layout struct {
	class   int
	at      int64
	compact []byte
	addr    uint64 // contiguous data, or the chunk index
	size    uint64 // contiguous size
	chunk   []uint64
	index   int
	flags   uint8
	// single chunk with filters: stored size and filter mask.
	singleSize uint64
	singleMask uint32
}

func (f *File) parseLayout(c *cursor) (*layout, error) {
	l := &layout{at: c.off()}
	v := c.u8()
	switch v {
	case 3, 4:
	case 1, 2:
		return nil, unsupportedAt(l.at, "data layout message version %d", v)
	default:
		return nil, errAt(l.at, "bad data layout message version %d", v)
	}
	l.class = int(c.u8())
	switch l.class {
	case layoutCompact:
		n := int(c.u16())
		l.compact = c.bytes(n)
	case layoutContiguous:
		l.addr = c.addr()
		l.size = c.length()
	case layoutChunked:
		var rank int
		var width int
		if v == 3 {
			rank = int(c.u8())
			l.addr = c.addr()
			width = 4
		} else {
			l.flags = c.u8()
			rank = int(c.u8())
			width = int(c.u8())
			if width < 1 || width > 8 {
				return nil, errAt(l.at, "chunk dimension width %d", width)
			}
		}
		if rank < 2 || rank > 33 {
			return nil, errAt(l.at, "chunked layout of dimensionality %d", rank)
		}
		for i := 0; i < rank; i++ {
			l.chunk = append(l.chunk, c.uvar(width))
		}
		l.chunk = l.chunk[:rank-1] // the last is the element size
		for _, d := range l.chunk {
			if d == 0 || d > 1<<32 {
				return nil, errAt(l.at, "chunk dimension %d", d)
			}
		}
		if v == 4 {
			l.index = int(c.u8())
			switch l.index {
			case indexSingle:
				if l.flags&2 != 0 {
					l.singleSize = c.length()
					l.singleMask = c.u32()
				}
			case indexImplicit:
			case indexFixedArray:
				c.skip(1)
			case indexExtensible:
				c.skip(5)
			case indexBTree2:
				c.skip(6)
			default:
				return nil, unsupportedAt(l.at, "chunk index type %d", l.index)
			}
			l.addr = c.addr()
		}
	case 3:
		return nil, unsupportedAt(l.at, "virtual dataset layout")
	default:
		return nil, errAt(l.at, "bad layout class %d", l.class)
	}
	return l, c.err
}

type filter struct {
	id     uint16
	params []uint32
}

// parseFilters decodes a filter pipeline message ("Disk Format: Level 2A2 -
// Data Storage - Filter Pipeline Message"), versions 1 and 2.
func (f *File) parseFilters(c *cursor) ([]filter, error) {
	at := c.off()
	v := c.u8()
	n := int(c.u8())
	if v == 1 {
		c.skip(6)
	} else if v != 2 {
		return nil, unsupportedAt(at, "filter pipeline version %d", v)
	}
	if n > maxFilterClients {
		return nil, errAt(at, "%d filters", n)
	}
	var fs []filter
	for i := 0; i < n; i++ {
		var fl filter
		fl.id = c.u16()
		nameLen := 0
		if v == 1 || fl.id >= 256 {
			nameLen = int(c.u16())
		}
		c.u16() // flags
		np := int(c.u16())
		if v == 1 {
			nameLen = (nameLen + 7) / 8 * 8
		}
		c.skip(nameLen)
		if np > c.rest()/4 {
			return nil, errAt(at, "filter with %d parameters overruns the message", np)
		}
		for j := 0; j < np; j++ {
			fl.params = append(fl.params, c.u32())
		}
		if v == 1 && np%2 == 1 {
			c.skip(4)
		}
		fs = append(fs, fl)
	}
	return fs, c.err
}

// parseFill decodes the fill value messages ("Fill Value Message" and the
// old "Fill Value (Old) Message"), returning nil when no value is defined.
func (f *File) parseFill(c *cursor, typ uint16) []byte {
	if typ == msgFillOld {
		n := c.u32()
		return c.bytes(int(min(n, 1<<24)))
	}
	v := c.u8()
	switch v {
	case 1, 2:
		c.skip(2)
		defined := c.u8()
		if v == 2 && defined == 0 {
			return nil
		}
		n := c.u32()
		return c.bytes(int(min(n, 1<<24)))
	case 3:
		flags := c.u8()
		if flags&0x20 == 0 {
			return nil
		}
		n := c.u32()
		return c.bytes(int(min(n, 1<<24)))
	}
	return nil
}

// chunkRef locates one stored chunk: its element offsets in the dataset,
// file address, stored size and filter mask.
type chunkRef struct {
	offs []uint64
	addr uint64
	size uint64
	mask uint32
}

// storage is everything needed to read a dataset's raw bytes.
type storage struct {
	f       *File
	space   dataspace
	elem    int
	layout  *layout
	filters []filter
	fill    []byte
}

// read returns the dataset's raw elements in C order.
func (s *storage) read() ([]byte, error) {
	f := s.f
	n, _ := s.space.count()
	total := n * uint64(s.elem)
	if n != 0 && total/n != uint64(s.elem) || total > uint64(f.MaxReadBytes) {
		return nil, errAt(s.layout.at, "dataset of %d elements × %d bytes exceeds the %d-byte read limit", n, s.elem, f.MaxReadBytes)
	}
	l := s.layout
	switch l.class {
	case layoutCompact:
		if uint64(len(l.compact)) < total {
			return nil, errAt(l.at, "compact data has %d bytes, want %d", len(l.compact), total)
		}
		return bytes.Clone(l.compact[:total]), nil
	case layoutContiguous:
		if l.addr == undef {
			return s.filled(total), nil
		}
		if l.size < total {
			return nil, errAt(l.at, "contiguous data has %d bytes, want %d", l.size, total)
		}
		return f.read(l.addr, total)
	}
	if s.space.kind != spaceSimple || len(s.space.dims) != len(l.chunk) {
		return nil, errAt(l.at, "chunked layout of rank %d for a dataspace of rank %d", len(l.chunk), len(s.space.dims))
	}
	chunkBytes := uint64(s.elem)
	for _, d := range l.chunk {
		hi, lo := bits.Mul64(chunkBytes, d)
		if hi != 0 || lo > uint64(f.MaxReadBytes) {
			return nil, errAt(l.at, "chunk %v × %d bytes exceeds the %d-byte read limit", l.chunk, s.elem, f.MaxReadBytes)
		}
		chunkBytes = lo
	}
	out := s.filled(total)
	if total == 0 {
		return out, nil
	}
	// The chunk grid bounds how many chunks can be stored, so the work done
	// below is bounded by the output size, whatever the index claims.
	grid := uint64(1)
	for i, d := range s.space.dims {
		hi, lo := bits.Mul64(grid, (d+l.chunk[i]-1)/l.chunk[i])
		if hi != 0 {
			lo = ^uint64(0)
		}
		grid = lo
	}
	seen := map[string]bool{}
	var decoded uint64
	err := s.chunks(chunkBytes, func(ch chunkRef) error {
		if len(ch.offs) < len(l.chunk) {
			return errAt(l.at, "chunk record of rank %d", len(ch.offs))
		}
		for i, o := range ch.offs[:len(l.chunk)] {
			if o%l.chunk[i] != 0 {
				return errAt(l.at, "chunk offset %v not on the chunk grid %v", ch.offs, l.chunk)
			}
			if o >= s.space.dims[i] {
				return nil // beyond the current extent (dataset shrunk)
			}
		}
		key := make([]byte, 0, 8*len(l.chunk))
		for _, o := range ch.offs[:len(l.chunk)] {
			key = le.AppendUint64(key, o)
		}
		if seen[string(key)] {
			return errAt(l.at, "chunk at %v stored twice", ch.offs[:len(l.chunk)])
		}
		seen[string(key)] = true
		if uint64(len(seen)) > grid {
			return errAt(l.at, "more chunks than the %d in the chunk grid", grid)
		}
		decoded += chunkBytes
		if decoded > uint64(f.MaxReadBytes) {
			return errAt(l.at, "chunks decode to more than the %d-byte read limit", f.MaxReadBytes)
		}
		data, err := s.chunkData(ch, chunkBytes)
		if err != nil {
			return err
		}
		copyChunk(out, data, s.space.dims, l.chunk, ch.offs, s.elem)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// filled returns n bytes of the fill value (zero unless one is defined).
func (s *storage) filled(n uint64) []byte {
	out := make([]byte, n)
	if len(s.fill) == s.elem && !bytes.Equal(s.fill, make([]byte, s.elem)) {
		for i := 0; i+s.elem <= len(out); i += s.elem {
			copy(out[i:], s.fill)
		}
	}
	return out
}

// chunkData reads one chunk and undoes its filters ("Filter Pipeline
// Message": filters are applied in order when writing, so undone in
// reverse; a set bit in the chunk's filter mask skips that filter).
func (s *storage) chunkData(ch chunkRef, chunkBytes uint64) ([]byte, error) {
	size := ch.size
	if len(s.filters) == 0 {
		size = chunkBytes
	}
	if size > uint64(s.f.size) {
		return nil, errAt(s.layout.at, "chunk of %d bytes in a %d-byte file", size, s.f.size)
	}
	b, err := s.f.read(ch.addr, size)
	if err != nil {
		return nil, err
	}
	for i := len(s.filters) - 1; i >= 0; i-- {
		if i < 32 && ch.mask&(1<<uint(i)) != 0 {
			continue
		}
		fl := s.filters[i]
		switch fl.id {
		case 1: // deflate
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, &Error{Offset: int64(ch.addr + s.f.base), Msg: "deflate chunk", Err: err}
			}
			out, err := io.ReadAll(io.LimitReader(zr, int64(chunkBytes)+1))
			if err != nil {
				return nil, &Error{Offset: int64(ch.addr + s.f.base), Msg: "deflate chunk", Err: err}
			}
			b = out
		case 2: // shuffle
			b = unshuffle(b, s.elem)
		case 3: // fletcher32: drop the checksum
			if len(b) < 4 {
				return nil, errAt(int64(ch.addr+s.f.base), "fletcher32 chunk too short")
			}
			b = b[:len(b)-4]
		default:
			return nil, unsupportedAt(s.layout.at, "filter %d", fl.id)
		}
	}
	if uint64(len(b)) != chunkBytes {
		return nil, errAt(int64(ch.addr+s.f.base), "chunk decodes to %d bytes, want %d", len(b), chunkBytes)
	}
	return b, nil
}

// unshuffle undoes the shuffle filter: byte j of every element was stored
// together in plane j; a remainder that is not a whole element is kept as is.
func unshuffle(b []byte, size int) []byte {
	if size <= 1 {
		return b
	}
	n := len(b) / size
	out := make([]byte, len(b))
	for j := 0; j < size; j++ {
		for i := 0; i < n; i++ {
			out[i*size+j] = b[j*n+i]
		}
	}
	copy(out[n*size:], b[n*size:])
	return out
}

// copyChunk copies the part of a chunk at element offsets offs that lies
// inside dims into out (both C order).
func copyChunk(out, chunk []byte, dims, cdims, offs []uint64, elem int) {
	rank := len(dims)
	// Extent of the chunk clipped to the dataset.
	ext := make([]uint64, rank)
	for i := range dims {
		ext[i] = min(cdims[i], dims[i]-offs[i])
	}
	run := int(ext[rank-1]) * elem
	idx := make([]uint64, rank) // position within the chunk, last dim fixed at 0
	for {
		var src, dst uint64
		for i := 0; i < rank; i++ {
			src = src*cdims[i] + idx[i]
			dst = dst*dims[i] + offs[i] + idx[i]
		}
		copy(out[dst*uint64(elem):], chunk[src*uint64(elem):src*uint64(elem)+uint64(run)])
		i := rank - 2
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < ext[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// chunks lists the stored chunks through the layout's chunk index.
func (s *storage) chunks(chunkBytes uint64, fn func(chunkRef) error) error {
	f, l := s.f, s.layout
	rank := len(l.chunk)
	if l.addr == undef {
		return nil // nothing written yet
	}
	switch l.index {
	case indexBTree1:
		// "Version 1 B-trees", node type 1: key = chunk size, filter mask,
		// rank+1 offsets (the last for the element size, always 0).
		keySize := 8 + 8*(rank+1)
		return f.walkBTree1(l.addr, 1, keySize, func(key []byte, at int64, child uint64) error {
			c := &cursor{f: f, b: key, at: at}
			ch := chunkRef{size: uint64(c.u32()), mask: c.u32(), addr: child}
			for i := 0; i < rank; i++ {
				ch.offs = append(ch.offs, c.u64())
			}
			return fn(ch)
		})
	case indexSingle:
		ch := chunkRef{offs: make([]uint64, rank), addr: l.addr, size: chunkBytes}
		if l.flags&2 != 0 {
			ch.size, ch.mask = l.singleSize, l.singleMask
		}
		return fn(ch)
	case indexImplicit:
		// Chunks lie back to back in the order of the chunk grid of the
		// maximum dimensions.
		g := s.grid(-1)
		return g.each(s.space.dims, func(scaled []uint64, idx uint64) error {
			hi, lo := bits.Mul64(idx, chunkBytes)
			if hi != 0 || l.addr+lo < l.addr {
				return errAt(l.at, "implicit chunk address overflows")
			}
			return fn(chunkRef{offs: g.offsets(scaled), addr: l.addr + lo, size: chunkBytes})
		})
	case indexFixedArray:
		return s.fixedArray(chunkBytes, fn)
	case indexExtensible:
		return s.extensibleArray(chunkBytes, fn)
	case indexBTree2:
		return f.walkBTree2(l.addr, func(rec []byte, at int64) error {
			c := &cursor{f: f, b: rec, at: at}
			ch := chunkRef{addr: c.addr(), size: chunkBytes}
			if len(s.filters) > 0 {
				ch.size = c.uvar(chunkSizeLen(chunkBytes))
				ch.mask = c.u32()
			}
			for i := 0; i < rank; i++ {
				ch.offs = append(ch.offs, c.u64()*l.chunk[i])
			}
			if c.err != nil {
				return c.err
			}
			return fn(ch)
		})
	}
	return unsupportedAt(l.at, "chunk index %d", l.index)
}

// chunkSizeLen is the width of a filtered chunk's size in the v4 chunk
// indexes (H5D_CHUNK_SIZE_LEN in the library: one byte more than needed for
// the unfiltered chunk size, at most 8).
func chunkSizeLen(chunkBytes uint64) int {
	return min(8, 1+(log2floor(chunkBytes)+8)/8)
}

// chunkGrid maps between chunk coordinates and the linear chunk index used
// by the implicit, fixed array and extensible array indexes: C order over
// the chunk grid of the maximum dimensions, with the unlimited dimension (if
// any) moved first ("swizzled").
type chunkGrid struct {
	chunk []uint64
	down  []uint64 // down[i]: chunks per step of swizzled dimension i
	unlim int      // -1, or the dimension moved first
}

func (s *storage) grid(unlim int) *chunkGrid {
	l := s.layout
	rank := len(l.chunk)
	maxd := s.space.maxDims
	if maxd == nil {
		maxd = s.space.dims
	}
	nchunks := make([]uint64, rank)
	for i := range nchunks {
		m := maxd[i]
		if m == undef || m < s.space.dims[i] {
			m = s.space.dims[i]
		}
		nchunks[i] = (m + l.chunk[i] - 1) / l.chunk[i]
	}
	g := &chunkGrid{chunk: l.chunk, unlim: unlim}
	sw := g.swizzle(nchunks)
	g.down = make([]uint64, rank)
	d := uint64(1)
	for i := rank - 1; i >= 0; i-- {
		g.down[i] = d
		hi, lo := bits.Mul64(d, max(sw[i], 1))
		if hi != 0 {
			lo = ^uint64(0)
		}
		d = lo
	}
	return g
}

func (g *chunkGrid) swizzle(v []uint64) []uint64 {
	out := append([]uint64(nil), v...)
	if g.unlim > 0 {
		copy(out[1:], v[:g.unlim])
		out[0] = v[g.unlim]
	}
	return out
}

func (g *chunkGrid) unswizzle(v []uint64) []uint64 {
	out := append([]uint64(nil), v...)
	if g.unlim > 0 {
		copy(out[:g.unlim], v[1:])
		out[g.unlim] = v[0]
	}
	return out
}

// index is the linear index of chunk coordinates (in chunks).
func (g *chunkGrid) index(scaled []uint64) uint64 {
	var idx uint64
	for i, v := range g.swizzle(scaled) {
		idx += v * g.down[i]
	}
	return idx
}

// scaled inverts index.
func (g *chunkGrid) scaled(idx uint64) []uint64 {
	sw := make([]uint64, len(g.down))
	for i, d := range g.down {
		sw[i] = idx / d
		idx %= d
	}
	return g.unswizzle(sw)
}

func (g *chunkGrid) offsets(scaled []uint64) []uint64 {
	out := make([]uint64, len(scaled))
	for i, v := range scaled {
		out[i] = v * g.chunk[i]
	}
	return out
}

// each calls fn for every chunk of the grid covering dims.
func (g *chunkGrid) each(dims []uint64, fn func(scaled []uint64, idx uint64) error) error {
	rank := len(dims)
	n := make([]uint64, rank)
	for i := range dims {
		n[i] = (dims[i] + g.chunk[i] - 1) / g.chunk[i]
		if n[i] == 0 {
			return nil
		}
	}
	sc := make([]uint64, rank)
	for {
		if err := fn(sc, g.index(sc)); err != nil {
			return err
		}
		i := rank - 1
		for ; i >= 0; i-- {
			sc[i]++
			if sc[i] < n[i] {
				break
			}
			sc[i] = 0
		}
		if i < 0 {
			return nil
		}
	}
}

// entry decodes one fixed/extensible array element: a chunk address, and
// for filtered chunks its size and filter mask.
func (s *storage) entry(c *cursor, entrySize int, chunkBytes uint64) chunkRef {
	ch := chunkRef{addr: c.addr(), size: chunkBytes}
	if len(s.filters) > 0 {
		ch.size = c.uvar(entrySize - s.f.offSize - 4)
		ch.mask = c.u32()
	}
	return ch
}

func (s *storage) checkEntrySize(at int64, entrySize int) error {
	want := s.f.offSize
	if len(s.filters) > 0 {
		if entrySize <= want+4 || entrySize > want+4+8 {
			return errAt(at, "array index element size %d", entrySize)
		}
		return nil
	}
	if entrySize != want {
		return errAt(at, "array index element size %d, want %d", entrySize, want)
	}
	return nil
}

// fixedArray reads a fixed array chunk index ("Fixed Array Header" and
// "Fixed Array Data Block", with optional pages).
func (s *storage) fixedArray(chunkBytes uint64, fn func(chunkRef) error) error {
	f := s.f
	c, err := f.cursorAt(s.layout.addr, uint64(4+1+1+1+1+f.lenSize+f.offSize+4))
	if err != nil {
		return err
	}
	if !bytes.Equal(c.bytes(4), []byte("FAHD")) {
		return errAt(c.at, "expected fixed array header signature FAHD")
	}
	c.skip(2) // version, client ID
	entrySize := int(c.u8())
	pageBits := int(c.u8())
	n := c.length()
	dblk := c.addr()
	if c.err != nil {
		return c.err
	}
	if err := s.checkEntrySize(c.at, entrySize); err != nil {
		return err
	}
	if dblk == undef || n == 0 {
		return nil
	}
	if pageBits > 32 || n > uint64(f.size)/uint64(entrySize) {
		return errAt(c.at, "fixed array of %d elements (page bits %d) in a %d-byte file", n, pageBits, f.size)
	}
	g := s.grid(-1)
	prefix := uint64(4 + 1 + 1 + f.offSize)
	pageN := uint64(1) << uint(pageBits)
	emit := func(c *cursor, first, count uint64) error {
		for i := uint64(0); i < count; i++ {
			ch := s.entry(c, entrySize, chunkBytes)
			if c.err != nil {
				return c.err
			}
			if ch.addr == undef {
				continue
			}
			ch.offs = g.offsets(g.scaled(first + i))
			if err := fn(ch); err != nil {
				return err
			}
		}
		return nil
	}
	if n <= pageN {
		c, err := f.cursorAt(dblk, prefix+n*uint64(entrySize))
		if err != nil {
			return err
		}
		if !bytes.Equal(c.bytes(4), []byte("FADB")) {
			return errAt(c.at, "expected fixed array data block signature FADB")
		}
		c.skip(int(prefix) - 4)
		return emit(c, 0, n)
	}
	npages := (n + pageN - 1) / pageN
	bitmap := (npages + 7) / 8
	c, err = f.cursorAt(dblk, prefix+bitmap)
	if err != nil {
		return err
	}
	if !bytes.Equal(c.bytes(4), []byte("FADB")) {
		return errAt(c.at, "expected fixed array data block signature FADB")
	}
	c.skip(int(prefix) - 4)
	bm := c.bytes(int(bitmap))
	pos := dblk + prefix + bitmap + 4
	for p := uint64(0); p < npages; p++ {
		cnt := min(pageN, n-p*pageN)
		size := cnt*uint64(entrySize) + 4
		if bm[p/8]&(0x80>>(p%8)) != 0 { // H5VM_bit_get: most significant bit first
			pc, err := f.cursorAt(pos, size)
			if err != nil {
				return err
			}
			if err := emit(pc, p*pageN, cnt); err != nil {
				return err
			}
		}
		pos += size
	}
	return nil
}

// extensibleArray reads an extensible array chunk index ("Extensible Array
// Header", "Index Block", "Super Block" and "Data Block"), used for chunked
// datasets with one unlimited dimension.
func (s *storage) extensibleArray(chunkBytes uint64, fn func(chunkRef) error) error {
	f := s.f
	c, err := f.cursorAt(s.layout.addr, uint64(4+1+1+6+6*f.lenSize+f.offSize+4))
	if err != nil {
		return err
	}
	if !bytes.Equal(c.bytes(4), []byte("EAHD")) {
		return errAt(c.at, "expected extensible array header signature EAHD")
	}
	c.skip(2) // version, client ID
	entrySize := int(c.u8())
	maxBits := int(c.u8())
	iblkElmts := uint64(c.u8())
	dblkMin := uint64(c.u8())
	sblkMinPtrs := uint64(c.u8())
	pageBits := int(c.u8())
	for i := 0; i < 4; i++ {
		c.length() // super/data block counts and sizes
	}
	maxIdx := c.length()
	c.length() // number of elements realised
	iblk := c.addr()
	if c.err != nil {
		return c.err
	}
	hdrAt := c.at
	if err := s.checkEntrySize(hdrAt, entrySize); err != nil {
		return err
	}
	if iblk == undef {
		return nil
	}
	pow2 := func(v uint64) bool { return v != 0 && v&(v-1) == 0 }
	if maxBits < 1 || maxBits > 64 || !pow2(dblkMin) || !pow2(sblkMinPtrs) || pageBits > 32 ||
		log2floor(dblkMin) > maxBits {
		return errAt(hdrAt, "extensible array header: bad parameters")
	}
	unlim := -1
	for i, m := range s.space.maxDims {
		if m == undef {
			unlim = i
		}
	}
	g := s.grid(unlim)
	// Super block geometry, as H5EA__hdr_init computes it.
	nsblks := 1 + maxBits - log2floor(dblkMin)
	type sblkInfo struct{ ndblks, dblkN, startIdx, startDblk uint64 }
	info := make([]sblkInfo, nsblks)
	var startIdx, startDblk uint64
	for u := range info {
		info[u] = sblkInfo{1 << uint(u/2), (1 << uint((u+1)/2)) * dblkMin, startIdx, startDblk}
		startIdx += info[u].ndblks * info[u].dblkN
		startDblk += info[u].ndblks
	}
	iblkSblks := 2 * log2floor(sblkMinPtrs)
	ndblkAddrs := 2 * (sblkMinPtrs - 1)
	nsblkAddrs := uint64(max(nsblks-iblkSblks, 0))
	arrOff := (maxBits + 7) / 8
	prefix := 4 + 1 + 1 + f.offSize
	c, err = f.cursorAt(iblk, uint64(prefix)+iblkElmts*uint64(entrySize)+(ndblkAddrs+nsblkAddrs)*uint64(f.offSize))
	if err != nil {
		return err
	}
	if !bytes.Equal(c.bytes(4), []byte("EAIB")) {
		return errAt(c.at, "expected extensible array index block signature EAIB")
	}
	c.skip(prefix - 4)
	emit := func(c *cursor, first, count uint64) error {
		for i := uint64(0); i < count && first+i < maxIdx; i++ {
			ch := s.entry(c, entrySize, chunkBytes)
			if c.err != nil {
				return c.err
			}
			if ch.addr == undef {
				continue
			}
			ch.offs = g.offsets(g.scaled(first + i))
			if err := fn(ch); err != nil {
				return err
			}
		}
		return nil
	}
	if err := emit(c, 0, iblkElmts); err != nil {
		return err
	}
	c.p = prefix + int(iblkElmts)*entrySize
	dblkAddrs := make([]uint64, ndblkAddrs)
	for i := range dblkAddrs {
		dblkAddrs[i] = c.addr()
	}
	sblkAddrs := make([]uint64, nsblkAddrs)
	for i := range sblkAddrs {
		sblkAddrs[i] = c.addr()
	}
	if c.err != nil {
		return c.err
	}
	dataBlock := func(addr, first, n uint64) error {
		if n > uint64(1)<<uint(pageBits) {
			return unsupportedAt(int64(addr+f.base), "paged extensible array data block")
		}
		c, err := f.cursorAt(addr, uint64(prefix+arrOff)+n*uint64(entrySize))
		if err != nil {
			return err
		}
		if !bytes.Equal(c.bytes(4), []byte("EADB")) {
			return errAt(c.at, "expected extensible array data block signature EADB")
		}
		c.skip(prefix - 4 + arrOff)
		return emit(c, first, n)
	}
	for u := 0; u < nsblks; u++ {
		in := info[u]
		first := iblkElmts + in.startIdx
		if first >= maxIdx {
			break
		}
		addrs := make([]uint64, 0, min(in.ndblks, 1024))
		if u < iblkSblks {
			for d := uint64(0); d < in.ndblks; d++ {
				if in.startDblk+d >= uint64(len(dblkAddrs)) {
					return errAt(hdrAt, "extensible array index block too small")
				}
				addrs = append(addrs, dblkAddrs[in.startDblk+d])
			}
		} else {
			sa := sblkAddrs[u-iblkSblks]
			if sa == undef {
				continue
			}
			if in.dblkN > uint64(1)<<uint(pageBits) {
				return unsupportedAt(int64(sa+f.base), "paged extensible array super block")
			}
			if in.ndblks > uint64(f.size)/uint64(f.offSize) {
				return errAt(int64(sa+f.base), "extensible array super block too large")
			}
			sc, err := f.cursorAt(sa, uint64(prefix+arrOff)+in.ndblks*uint64(f.offSize))
			if err != nil {
				return err
			}
			if !bytes.Equal(sc.bytes(4), []byte("EASB")) {
				return errAt(sc.at, "expected extensible array super block signature EASB")
			}
			sc.skip(prefix - 4 + arrOff)
			for d := uint64(0); d < in.ndblks; d++ {
				addrs = append(addrs, sc.addr())
			}
			if sc.err != nil {
				return sc.err
			}
		}
		for d, a := range addrs {
			start := first + uint64(d)*in.dblkN
			if start >= maxIdx {
				break
			}
			if a == undef {
				continue
			}
			if err := dataBlock(a, start, in.dblkN); err != nil {
				return err
			}
		}
	}
	return nil
}
