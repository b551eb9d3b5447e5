package program

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"reflect"
)

// magic opens every serialised program ("soma compiled program").
var magic = [8]byte{'S', 'O', 'M', 'A', 'P', 'R', 'O', 'G'}

// Encode serialises a program: magic, format version, the fields in
// declaration order (little-endian integers, float64 bits, u32-length-prefixed
// strings and slices, a presence byte before pointers), and a CRC-32 (IEEE)
// of everything before it. The same program always gives the same bytes.
//
// This is soma's own container for `soma compile -o net.soma`; board images
// (backends/spinnaker) have their own C-readable format.
func Encode(p *Program) ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(magic[:])
	binary.Write(&buf, binary.LittleEndian, uint32(FormatVersion))
	if err := encodeValue(&buf, reflect.ValueOf(p).Elem()); err != nil {
		return nil, err
	}
	binary.Write(&buf, binary.LittleEndian, crc32.ChecksumIEEE(buf.Bytes()))
	return buf.Bytes(), nil
}

func encodeValue(w *bytes.Buffer, v reflect.Value) error {
	le := binary.LittleEndian
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			w.WriteByte(1)
		} else {
			w.WriteByte(0)
		}
	case reflect.Uint8:
		w.WriteByte(uint8(v.Uint()))
	case reflect.Uint16:
		w.Write(le.AppendUint16(nil, uint16(v.Uint())))
	case reflect.Uint32:
		w.Write(le.AppendUint32(nil, uint32(v.Uint())))
	case reflect.Int32:
		w.Write(le.AppendUint32(nil, uint32(int32(v.Int()))))
	case reflect.Uint64:
		w.Write(le.AppendUint64(nil, v.Uint()))
	case reflect.Float64:
		w.Write(le.AppendUint64(nil, math.Float64bits(v.Float())))
	case reflect.String:
		w.Write(le.AppendUint32(nil, uint32(v.Len())))
		w.WriteString(v.String())
	case reflect.Slice:
		if uint64(v.Len()) > math.MaxUint32 {
			return fmt.Errorf("program: slice of %d elements is too long to encode", v.Len())
		}
		w.Write(le.AppendUint32(nil, uint32(v.Len())))
		if v.Type().Elem() == reflect.TypeFor[uint32]() {
			// Fast path for the big regions (synapses, neuron words).
			words := v.Interface().([]uint32)
			b := make([]byte, 4*len(words))
			for i, x := range words {
				le.PutUint32(b[4*i:], x)
			}
			w.Write(b)
			return nil
		}
		for i := range v.Len() {
			if err := encodeValue(w, v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			w.WriteByte(0)
			return nil
		}
		w.WriteByte(1)
		return encodeValue(w, v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if err := encodeValue(w, v.Field(i)); err != nil {
				return fmt.Errorf("%s: %w", v.Type().Field(i).Name, err)
			}
		}
	default:
		return fmt.Errorf("program: cannot encode %s", v.Type())
	}
	return nil
}

// Decode reads a serialised program, checking the magic, the version and
// the CRC, and bounding every length by the bytes that remain, so hostile
// input gives an error, never a panic or a huge allocation.
func Decode(b []byte) (*Program, error) {
	if len(b) < len(magic)+8 {
		return nil, errors.New("program: file too short to be a compiled program")
	}
	if !bytes.Equal(b[:len(magic)], magic[:]) {
		return nil, errors.New("program: not a soma compiled program (bad magic)")
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, fmt.Errorf("program: checksum mismatch (stored %08x, computed %08x): the file is corrupt", sum, got)
	}
	version := binary.LittleEndian.Uint32(b[len(magic):])
	if version != FormatVersion {
		return nil, fmt.Errorf("program: format version %d, this soma reads version %d; recompile the model", version, FormatVersion)
	}
	d := &decoder{b: body, off: len(magic) + 4}
	p := new(Program)
	if err := d.value(reflect.ValueOf(p).Elem(), "program"); err != nil {
		return nil, err
	}
	if d.off != len(d.b) {
		return nil, fmt.Errorf("program: %d unexpected bytes after the program at offset %d", len(d.b)-d.off, d.off)
	}
	return p, nil
}

type decoder struct {
	b   []byte
	off int
}

func (d *decoder) need(n int, what string) ([]byte, error) {
	if n < 0 || len(d.b)-d.off < n {
		return nil, fmt.Errorf("program: truncated at offset %d reading %s (need %d bytes, %d left)", d.off, what, n, len(d.b)-d.off)
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s, nil
}

func (d *decoder) u32(what string) (uint32, error) {
	s, err := d.need(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(s), nil
}

// minSize is a lower bound on the encoded size of one value of type t,
// used to reject lengths the remaining bytes cannot hold.
func minSize(t reflect.Type) int {
	switch t.Kind() {
	case reflect.Bool, reflect.Uint8, reflect.Pointer:
		return 1
	case reflect.Uint16:
		return 2
	case reflect.Uint32, reflect.Int32, reflect.String, reflect.Slice:
		return 4
	case reflect.Uint64, reflect.Float64:
		return 8
	case reflect.Struct:
		n := 0
		for i := range t.NumField() {
			n += minSize(t.Field(i).Type)
		}
		return max(n, 1)
	}
	return 1
}

func (d *decoder) value(v reflect.Value, what string) error {
	le := binary.LittleEndian
	switch v.Kind() {
	case reflect.Bool:
		s, err := d.need(1, what)
		if err != nil {
			return err
		}
		if s[0] > 1 {
			return fmt.Errorf("program: %s: boolean byte %d at offset %d", what, s[0], d.off-1)
		}
		v.SetBool(s[0] == 1)
	case reflect.Uint8:
		s, err := d.need(1, what)
		if err != nil {
			return err
		}
		v.SetUint(uint64(s[0]))
	case reflect.Uint16:
		s, err := d.need(2, what)
		if err != nil {
			return err
		}
		v.SetUint(uint64(le.Uint16(s)))
	case reflect.Uint32:
		x, err := d.u32(what)
		if err != nil {
			return err
		}
		v.SetUint(uint64(x))
	case reflect.Int32:
		x, err := d.u32(what)
		if err != nil {
			return err
		}
		v.SetInt(int64(int32(x)))
	case reflect.Uint64, reflect.Float64:
		s, err := d.need(8, what)
		if err != nil {
			return err
		}
		if v.Kind() == reflect.Float64 {
			v.SetFloat(math.Float64frombits(le.Uint64(s)))
		} else {
			v.SetUint(le.Uint64(s))
		}
	case reflect.String:
		n, err := d.u32(what + " length")
		if err != nil {
			return err
		}
		s, err := d.need(int(n), what)
		if err != nil {
			return err
		}
		v.SetString(string(s))
	case reflect.Slice:
		n, err := d.u32(what + " length")
		if err != nil {
			return err
		}
		elem := v.Type().Elem()
		if int64(n)*int64(minSize(elem)) > int64(len(d.b)-d.off) {
			return fmt.Errorf("program: %s: %d elements cannot fit in the %d bytes left at offset %d", what, n, len(d.b)-d.off, d.off)
		}
		if n == 0 {
			v.SetZero() // nil, as the encoder saw an empty or nil slice
			return nil
		}
		s := reflect.MakeSlice(v.Type(), int(n), int(n))
		if elem == reflect.TypeFor[uint32]() {
			raw, _ := d.need(4*int(n), what)
			words := s.Interface().([]uint32)
			for i := range words {
				words[i] = le.Uint32(raw[4*i:])
			}
		} else {
			for i := range int(n) {
				if err := d.value(s.Index(i), fmt.Sprintf("%s[%d]", what, i)); err != nil {
					return err
				}
			}
		}
		v.Set(s)
	case reflect.Pointer:
		s, err := d.need(1, what)
		if err != nil {
			return err
		}
		switch s[0] {
		case 0:
			v.SetZero()
		case 1:
			p := reflect.New(v.Type().Elem())
			if err := d.value(p.Elem(), what); err != nil {
				return err
			}
			v.Set(p)
		default:
			return fmt.Errorf("program: %s: presence byte %d at offset %d", what, s[0], d.off-1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if err := d.value(v.Field(i), what+"."+v.Type().Field(i).Name); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("program: cannot decode %s", v.Type())
	}
	return nil
}
