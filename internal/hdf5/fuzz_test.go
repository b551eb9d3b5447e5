package hdf5

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen opens arbitrary bytes as an HDF5 file and reads everything in
// it. Any error is fine; a panic, hang or huge allocation is not.
//
// Run it with a bounded minimisation, since the seeds are 10–20 KB and the
// default 60 s minimisation of each new input stalls the fuzzer:
//
//	go test ./internal/hdf5 -run '^$' -fuzz FuzzOpen -fuzztime 3m -fuzzminimizetime 100x
func FuzzOpen(f *testing.F) {
	for _, pattern := range []string{"testdata/*.h5", "testdata/nir/lif_*.nir", "testdata/nir/two_*.nir"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		// Bound decompressed and fill-value data so each input does little work.
		h.MaxReadBytes = 1 << 18
		// Many hard links may name one large dataset; reading it once per
		// link is legitimate but slow, so bound the objects visited.
		objects := 0
		h.Root().Walk(func(obj Object) error {
			if objects++; objects > 200 {
				return errors.New("enough")
			}
			if as, err := obj.Attrs(); err == nil {
				for _, a := range as {
					a.Value()
				}
			}
			if d, ok := obj.(*Dataset); ok {
				d.Value()
				d.Float64s()
				d.Strings()
			}
			if g, ok := obj.(*Group); ok {
				if names, err := g.Members(); err == nil {
					for _, n := range names {
						g.Get(n)
					}
				}
			}
			return nil
		})
	})
}
