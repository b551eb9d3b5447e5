package hdf5

import "bytes"

// Header message types ("Disk Format: Level 2A2 - Data Object Header Messages").
const (
	msgNil          = 0x00
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgFillOld      = 0x04
	msgFill         = 0x05
	msgLink         = 0x06
	msgLayout       = 0x08
	msgFilters      = 0x0B
	msgAttribute    = 0x0C
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

// message is one header message, with its data already resolved when it was
// stored shared in another object header.
type message struct {
	typ   uint16
	flags uint8
	data  []byte
	at    int64 // absolute offset of data
}

type objectHeader struct {
	addr uint64
	msgs []message
	err  error
}

// maxHeaderBlocks bounds the continuation chain of one object header; the
// library never writes more than a handful.
const maxHeaderBlocks = 4096

// header returns the parsed object header at addr, cached per file.
func (f *File) header(addr uint64) (*objectHeader, error) {
	f.mu.Lock()
	oh := f.headers[addr]
	f.mu.Unlock()
	if oh != nil {
		return oh, oh.err
	}
	oh = &objectHeader{addr: addr}
	oh.msgs, oh.err = f.parseHeader(addr)
	f.mu.Lock()
	f.headers[addr] = oh
	f.mu.Unlock()
	return oh, oh.err
}

type block struct{ addr, size uint64 }

// parseHeader decodes an object header ("Disk Format: Level 2A1 - Data Object
// Header Prefix"): version 1 (no signature, 8-byte aligned messages) or
// version 2 ("OHDR", with continuation blocks "OCHK"), following
// "Object Header Continuation" messages with cycle detection.
func (f *File) parseHeader(addr uint64) ([]message, error) {
	c, err := f.cursorUpTo(addr, 16+16+8)
	if err != nil {
		return nil, err
	}
	start := c.off()
	var v2 bool
	var hflags uint8
	var first block
	if c.rest() >= 4 && bytes.Equal(c.b[:4], []byte("OHDR")) {
		v2 = true
		c.skip(4)
		if v := c.u8(); v != 2 {
			return nil, unsupportedAt(start, "object header version %d", v)
		}
		flags := c.u8()
		hflags = flags
		if flags&0x20 != 0 {
			c.skip(16) // access, modification, change, birth times
		}
		if flags&0x10 != 0 {
			c.skip(4) // attribute phase change values
		}
		size := c.uvar(1 << (flags & 3))
		if c.err != nil {
			return nil, c.err
		}
		first = block{addr + uint64(c.p), size}
	} else {
		if v := c.u8(); v != 1 {
			return nil, unsupportedAt(start, "object header version %d (or not an object header)", v)
		}
		c.skip(1 + 2 + 4) // reserved, number of messages, reference count
		size := c.u32()
		if c.err != nil {
			return nil, c.err
		}
		// The version 1 prefix is 12 bytes, padded to 16 so messages are
		// 8-byte aligned.
		first = block{addr + 16, uint64(size)}
	}
	var msgs []message
	seen := map[uint64]bool{addr: true}
	budget := f.treeBudget()
	queue := []block{first}
	for i := 0; len(queue) > 0; i++ {
		if i >= maxHeaderBlocks {
			return nil, errAt(start, "object header has more than %d continuation blocks", maxHeaderBlocks)
		}
		b := queue[0]
		queue = queue[1:]
		if b.size > uint64(f.size) || !budget.spend(int(b.size)) {
			return nil, errAt(start, "object header blocks add up to more than the file")
		}
		c, err := f.cursorAt(b.addr, b.size)
		if err != nil {
			return nil, err
		}
		if v2 {
			// Chunk #0's size excludes its checksum; a continuation
			// block's length covers its signature and checksum.
			if i > 0 {
				if !bytes.Equal(c.bytes(4), []byte("OCHK")) {
					return nil, errAt(c.at, "object header continuation block without OCHK signature")
				}
				if len(c.b) < c.p+4 {
					return nil, errAt(c.at, "object header block too small")
				}
				c.b = c.b[:len(c.b)-4]
			}
		}
		for {
			hdr := 8
			if v2 {
				hdr = 4
				if hflags&0x04 != 0 {
					hdr = 6
				}
			}
			if c.rest() < hdr {
				break // gap at the end of the block
			}
			var m message
			if v2 {
				m.typ = uint16(c.u8())
				size := int(c.u16())
				m.flags = c.u8()
				if hflags&0x04 != 0 {
					c.skip(2) // creation order, when the header tracks it
				}
				m.at = c.off()
				m.data = c.bytes(size)
			} else {
				m.typ = c.u16()
				size := int(c.u16())
				m.flags = c.u8()
				c.skip(3)
				m.at = c.off()
				m.data = c.bytes(size)
			}
			if c.err != nil {
				return nil, c.err
			}
			if m.typ == msgContinuation {
				mc := &cursor{f: f, b: m.data, at: m.at}
				nb := block{mc.addr(), mc.length()}
				if mc.err != nil {
					return nil, mc.err
				}
				if seen[nb.addr] {
					return nil, errAt(m.at, "object header continuation loops back to address %d", nb.addr)
				}
				seen[nb.addr] = true
				queue = append(queue, nb)
				continue
			}
			if m.typ == msgNil {
				continue
			}
			msgs = append(msgs, m)
		}
	}
	return msgs, nil
}

// resolve returns the data of m, following a shared message ("Shared
// Message" encoding, message flag bit 1) to the object header that holds
// it. Only messages shared in another object header (committed datatypes)
// are supported, not the shared object header message heap.
func (f *File) resolve(m message, depth int) ([]byte, int64, error) {
	if m.flags&0x02 == 0 {
		return m.data, m.at, nil
	}
	if depth > 4 {
		return nil, m.at, errAt(m.at, "shared message chain too deep")
	}
	c := &cursor{f: f, b: m.data, at: m.at}
	v := c.u8()
	typ := c.u8()
	var addr uint64
	switch v {
	case 1:
		c.skip(6)
		addr = c.addr()
	case 2:
		addr = c.addr()
	case 3:
		if typ != 2 {
			return nil, m.at, unsupportedAt(m.at, "shared message in the shared object header message heap")
		}
		addr = c.addr()
	default:
		return nil, m.at, unsupportedAt(m.at, "shared message version %d", v)
	}
	if c.err != nil {
		return nil, m.at, c.err
	}
	oh, err := f.header(addr)
	if err != nil {
		return nil, m.at, err
	}
	for _, m2 := range oh.msgs {
		if m2.typ == m.typ {
			return f.resolve(m2, depth+1)
		}
	}
	return nil, m.at, errAt(m.at, "shared message type %d not found in object header at %d", m.typ, addr)
}
