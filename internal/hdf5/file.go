// Package hdf5 is a read-only reader for the subset of HDF5 that h5py writes,
// in pure Go (no cgo). soma uses it to import NIR graphs (.nir files).
//
// Supported: superblock versions 0–3; object header versions 1 and 2 with
// continuation blocks; old-style groups (symbol table, v1 B-tree, local
// heap), compact link messages and dense link storage (fractal heap + v2
// B-tree); hard and soft links; attributes in the header and in dense
// storage; dataspaces scalar, simple (any rank) and null; data layout
// message versions 3 and 4 with compact, contiguous and chunked storage,
// chunks indexed by v1 B-tree, single chunk, implicit, fixed array (paged
// too), extensible array or v2 B-tree; the deflate, shuffle and fletcher32
// filters (fletcher32 checksums are dropped, not verified); fill values;
// datatypes IEEE float16/32/64 and integers of 1–8 bytes in either byte
// order, fixed and variable-length strings (global heap), enums (with
// h5py's bool enum reported as Bool), and arrays of those; shared
// (committed) datatypes.
//
// Not supported (an error wrapping ErrUnsupported): compound, opaque,
// reference and variable-length sequence values; external links (Walk skips
// them); named datatypes as objects; data layout versions 1–2 and virtual
// datasets; filters other than the three above (szip, nbit, scale-offset,
// LZF, …); the shared object header message heap; huge fractal heap
// objects and filtered fractal heaps; paged extensible array blocks.
// Checksums are not verified.
//
// References to "the spec" below are to the HDF5 File Format Specification
// Version 3.0 (https://docs.hdfgroup.org/hdf5/develop/_f_m_t3.html); section
// names are quoted so they can be searched for.
//
// Every structure is bounds-checked against the file: a damaged or hostile file
// yields an *Error, never a panic, an unbounded loop or an allocation larger
// than the file (or, for decoded data, larger than File.MaxReadBytes).
//
// A File is safe for concurrent use if its io.ReaderAt is.
package hdf5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// ErrUnsupported is wrapped by errors for HDF5 features this reader does not
// implement (as opposed to malformed files); test with errors.Is.
var ErrUnsupported = errors.New("unsupported HDF5 feature")

// Error describes a malformed or unsupported file. Path is the object path
// ("/node/nodes/0/tau") when known; Offset is the absolute byte offset of the
// structure being decoded, or -1.
type Error struct {
	Path   string
	Offset int64
	Msg    string
	Err    error // ErrUnsupported, or an underlying I/O or zlib error, or nil
}

func (e *Error) Error() string {
	s := "hdf5: "
	if e.Path != "" {
		s += e.Path + ": "
	}
	s += e.Msg
	if e.Offset >= 0 {
		s += fmt.Sprintf(" (at byte offset %d)", e.Offset)
	}
	if e.Err != nil && e.Err != ErrUnsupported {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func errAt(off int64, format string, args ...any) error {
	return &Error{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func unsupportedAt(off int64, format string, args ...any) error {
	return &Error{Offset: off, Msg: fmt.Sprintf(format, args...) + " is not supported", Err: ErrUnsupported}
}

// withPath names the object an error happened in, keeping the innermost
// (most precise) path when one is already set.
func withPath(err error, path string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Path == "" {
			e2 := *e
			e2.Path = path
			return &e2
		}
		return err
	}
	return &Error{Path: path, Offset: -1, Msg: "read failed", Err: err}
}

// undef is the "undefined address" of the spec (all bits set), widened to 64
// bits whatever the file's size of offsets.
const undef = ^uint64(0)

// DefaultMaxReadBytes is the default of File.MaxReadBytes.
const DefaultMaxReadBytes = 1 << 30

// File is an open HDF5 file.
type File struct {
	r    io.ReaderAt
	size int64
	// base is the absolute offset that file addresses are relative to
	// ("Base Address" in the superblock; non-zero with a user block).
	base      uint64
	offSize   int // "Size of Offsets"
	lenSize   int // "Size of Lengths"
	sbVersion int
	rootAddr  uint64

	// MaxReadBytes bounds the decoded size of one dataset read: both the
	// result and the sum of the (unfiltered) sizes of the chunks read for
	// it, which exceeds the result when edge chunks overhang the dataset.
	// Stored data is also bounded by the file size; this limit matters for
	// compressed chunks and for unwritten chunks set to the fill value. It
	// is DefaultMaxReadBytes after Open.
	MaxReadBytes int64

	mu      sync.Mutex
	headers map[uint64]*objectHeader
	gheaps  map[uint64]*globalHeap
	links   map[uint64]*linkList
}

// Open reads the superblock of the HDF5 file in r, which is size bytes long.
func Open(r io.ReaderAt, size int64) (*File, error) {
	f := &File{r: r, size: size, MaxReadBytes: DefaultMaxReadBytes,
		headers: map[uint64]*objectHeader{}, gheaps: map[uint64]*globalHeap{},
		links: map[uint64]*linkList{}}
	if err := f.readSuperblock(); err != nil {
		return nil, err
	}
	return f, nil
}

// OpenFile opens the named file. The caller closes the returned *os.File when
// done with the *File (and every object read from it).
func OpenFile(path string) (*File, *os.File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	f, err := Open(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, fh, nil
}

// SuperblockVersion reports the version of the file's superblock (0–3).
func (f *File) SuperblockVersion() int { return f.sbVersion }

// Root returns the root group, "/".
func (f *File) Root() *Group { return &Group{f: f, name: "/", path: "/", addr: f.rootAddr} }

var signature = []byte("\x89HDF\r\n\x1a\n")

// readSuperblock finds and decodes the superblock ("Disk Format: Level 0A -
// Format Signature and Superblock"). The signature is searched at 0, 512,
// 1024, 2048, … as the spec says, since a user block may precede it.
func (f *File) readSuperblock() error {
	var at int64 = -1
	for off := int64(0); off+8 <= f.size; off = max(512, off*2) {
		b := make([]byte, 8)
		if _, err := f.r.ReadAt(b, off); err != nil {
			return &Error{Offset: off, Msg: "reading signature", Err: err}
		}
		if bytes.Equal(b, signature) {
			at = off
			break
		}
	}
	if at < 0 {
		return errAt(-1, "not an HDF5 file (no format signature)")
	}
	n := min(f.size-at, 256)
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, at); err != nil && err != io.EOF {
		return &Error{Offset: at, Msg: "reading superblock", Err: err}
	}
	c := &cursor{f: f, b: b, at: at, p: 8}
	f.sbVersion = int(c.u8())
	switch f.sbVersion {
	case 0, 1:
		// Version 0/1: free-space, root symbol table and shared header
		// versions, then sizes, then group K values, flags, addresses and
		// the root group's symbol table entry.
		c.skip(4)
		f.offSize, f.lenSize = int(c.u8()), int(c.u8())
		if !validSize(f.offSize) || !validSize(f.lenSize) {
			return errAt(at, "superblock: bad size of offsets %d / lengths %d", f.offSize, f.lenSize)
		}
		c.skip(1 + 2 + 2 + 4)
		if f.sbVersion == 1 {
			c.skip(4) // indexed storage internal node K, reserved
		}
		f.base = c.addr()
		c.addr()   // free-space info
		c.addr()   // end of file
		c.addr()   // driver info
		c.length() // root symbol table entry: link name offset
		f.rootAddr = c.addr()
	case 2, 3:
		f.offSize, f.lenSize = int(c.u8()), int(c.u8())
		if !validSize(f.offSize) || !validSize(f.lenSize) {
			return errAt(at, "superblock: bad size of offsets %d / lengths %d", f.offSize, f.lenSize)
		}
		c.skip(1) // file consistency flags
		f.base = c.addr()
		c.addr() // superblock extension
		c.addr() // end of file
		f.rootAddr = c.addr()
	default:
		return unsupportedAt(at, "superblock version %d", f.sbVersion)
	}
	if c.err != nil {
		return c.err
	}
	if f.base == undef {
		f.base = 0
	}
	if f.base == 0 && at > 0 {
		// A user block without a matching base address: files written by
		// the library always record it, but be lenient as h5dump is.
		f.base = uint64(at)
	}
	if f.rootAddr == undef {
		return errAt(at, "superblock: no root group")
	}
	return nil
}

func validSize(n int) bool { return n == 2 || n == 4 || n == 8 }

// abs turns a file address into an absolute offset, checking that n bytes
// from there lie inside the file.
func (f *File) abs(addr, n uint64) (int64, error) {
	if addr == undef {
		return -1, errAt(-1, "undefined address")
	}
	a := addr + f.base
	if a < addr || a > uint64(f.size) || n > uint64(f.size)-a {
		return -1, errAt(-1, "%d bytes at address %d lie outside the %d-byte file", n, addr, f.size)
	}
	return int64(a), nil
}

// read returns n bytes at file address addr.
func (f *File) read(addr, n uint64) ([]byte, error) {
	off, err := f.abs(addr, n)
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, off); err != nil && !(err == io.EOF && n > 0) {
		return nil, &Error{Offset: off, Msg: "read", Err: err}
	}
	return b, nil
}

// cursorAt returns a cursor over n bytes at addr.
func (f *File) cursorAt(addr, n uint64) (*cursor, error) {
	b, err := f.read(addr, n)
	if err != nil {
		return nil, err
	}
	return &cursor{f: f, b: b, at: int64(addr + f.base)}, nil
}

// cursorUpTo returns a cursor over at most n bytes at addr, fewer if the file
// ends first; for structures whose length is only known once decoded.
func (f *File) cursorUpTo(addr, n uint64) (*cursor, error) {
	a, err := f.abs(addr, 0)
	if err != nil {
		return nil, err
	}
	return f.cursorAt(addr, min(n, uint64(f.size-a)))
}

// cursor decodes little-endian fields from a byte slice read from the file.
// The first out-of-range read sets err and every later read returns zero, so
// decoders check c.err once at the end of a structure.
type cursor struct {
	f   *File
	b   []byte
	p   int
	at  int64 // absolute offset of b[0]
	err error
}

func (c *cursor) off() int64 { return c.at + int64(c.p) }

func (c *cursor) rest() int { return len(c.b) - c.p }

func (c *cursor) need(n int) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || n > len(c.b)-c.p {
		c.err = errAt(c.off(), "structure truncated: need %d bytes, have %d", n, len(c.b)-c.p)
		return false
	}
	return true
}

func (c *cursor) bytes(n int) []byte {
	if !c.need(n) {
		return nil
	}
	b := c.b[c.p : c.p+n]
	c.p += n
	return b
}

func (c *cursor) skip(n int) { c.bytes(n) }

func (c *cursor) u8() uint8 {
	if !c.need(1) {
		return 0
	}
	c.p++
	return c.b[c.p-1]
}

func (c *cursor) u16() uint16 { return uint16(c.uvar(2)) }
func (c *cursor) u32() uint32 { return uint32(c.uvar(4)) }
func (c *cursor) u64() uint64 { return c.uvar(8) }

// uvar decodes an n-byte little-endian unsigned integer (0 < n <= 8).
func (c *cursor) uvar(n int) uint64 {
	if n > 8 {
		c.err = errAt(c.off(), "%d-byte integer field", n)
		return 0
	}
	b := c.bytes(n)
	if b == nil {
		return 0
	}
	var buf [8]byte
	copy(buf[:], b)
	return binary.LittleEndian.Uint64(buf[:])
}

// addr decodes a "Size of Offsets" address, mapping all-ones to undef.
func (c *cursor) addr() uint64 {
	v := c.uvar(c.f.offSize)
	if c.f.offSize < 8 && v == 1<<(8*uint(c.f.offSize))-1 {
		return undef
	}
	return v
}

// length decodes a "Size of Lengths" field.
func (c *cursor) length() uint64 { return c.uvar(c.f.lenSize) }

// cstring decodes a null-terminated string.
func (c *cursor) cstring() string {
	if c.err != nil {
		return ""
	}
	i := bytes.IndexByte(c.b[c.p:], 0)
	if i < 0 {
		c.err = errAt(c.off(), "unterminated string")
		return ""
	}
	s := string(c.b[c.p : c.p+i])
	c.p += i + 1
	return s
}

// bytesNeeded is the number of bytes the library uses to encode values up to
// v: H5VM_limit_enc_size, floor(log2(v))/8 + 1.
func bytesNeeded(v uint64) int {
	n := 0
	for v > 1 {
		v >>= 1
		n++
	}
	return n/8 + 1
}

func log2floor(v uint64) int {
	n := 0
	for v > 1 {
		v >>= 1
		n++
	}
	return n
}
