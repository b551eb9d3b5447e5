package spinnaker

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/somahw/soma/program"
)

// FuzzDecode feeds the decoder mutated images, seeded from the golden
// images. Each input is tried as is and resealed (router-table, region and
// CRC checksums recomputed), since otherwise nearly every mutation stops
// at the CRC. Properties: no panic; anything that decodes re-encodes to
// the same bytes; Inspect and DumpRegion survive whatever parses.
func FuzzDecode(f *testing.F) {
	for _, g := range goldens {
		b, err := os.ReadFile(filepath.Join("testdata", g.name+".golden"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, reseal(b)} {
			p, err := Decode(in)
			if err == nil {
				again, err := Encode(p)
				if err != nil {
					t.Fatalf("decoded program does not encode: %v", err)
				}
				if !bytes.Equal(again, in) {
					t.Fatalf("Encode(Decode(b)) differs at byte %d", firstDiff(in, again))
				}
			}
			s, err := Inspect(in)
			if err != nil {
				continue
			}
			s.WriteText(io.Discard)
			if len(s.Cores) > 0 {
				id := program.CoreID{}
				im, _ := parse(in, true)
				id = im.cores[0].CoreID
				for r := range NumRegions {
					DumpRegion(io.Discard, in, id, r)
				}
			}
		}
	})
}
