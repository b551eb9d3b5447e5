package program_test

import (
	"bytes"
	"testing"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/program"
)

// FuzzDecode feeds Decode arbitrary bytes: it must never panic, and
// whatever it accepts must re-encode to exactly the input (the encoding is
// canonical). The corpus starts from encoded programs. Most mutants of a
// whole file fail the CRC, so each seed also comes as a body without its
// trailer, with resealed set: the target appends a fresh CRC, and the
// fuzzer's mutations reach the field decoder.
func FuzzDecode(f *testing.F) {
	seeds := [][]byte{
		encode(f, handmade()),
		encode(f, &program.Program{}),
		encode(f, compileYAML(f, "small.yaml", smallYAML, "spinn3", compiler.Options{})),
		encode(f, compileYAML(f, "plastic.yaml", plasticYAML, "spinn3", compiler.Options{})),
	}
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(s[:len(s)-4], true)
	}
	f.Fuzz(func(t *testing.T, b []byte, resealed bool) {
		if resealed {
			// The fuzzer mutates the body; the trailer is recomputed, so
			// mutations reach the field decoder instead of dying at the CRC.
			b = seal(b)
		}
		p, err := program.Decode(b)
		if err != nil {
			if p != nil {
				t.Fatalf("Decode returned a program with error %v", err)
			}
			return
		}
		again, err := program.Encode(p)
		if err != nil {
			t.Fatalf("Encode of a decoded program: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("Encode(Decode(b)) differs from b (%d vs %d bytes)", len(again), len(b))
		}
	})
}
