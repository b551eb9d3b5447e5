package ir

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no input makes the model-file decoder or the validator panic;
// whatever parses also round-trips through Marshal and expands (when small
// enough to expand quickly).
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"../examples/*.yaml", "testdata/errors/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(smallNet))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse("fuzz.yaml", data)
		if err != nil {
			if _, ok := err.(Problems); !ok {
				t.Fatalf("Parse returned %T, want Problems", err)
			}
			return
		}
		// Whatever parses also prints, and the print reads back and
		// prints identically.
		out1, err := Marshal(n)
		if err != nil {
			t.Fatalf("parsed but did not marshal: %v", err)
		}
		n2, err := Parse("fuzz.out.yaml", out1)
		if err != nil {
			t.Fatalf("marshalled output does not parse: %v\n%s", err, out1)
		}
		out2, err := Marshal(n2)
		if err != nil || string(out1) != string(out2) {
			t.Fatalf("print → parse → print not stable: %v\n%s\n---\n%s", err, out1, out2)
		}
		// Skip expanding what would be slow by design (a 2000-source Poisson
		// population firing every step for 10^5 steps is 2·10^8 spikes).
		if n.NumNeurons() > 2000 || n.NumNeurons()*n.Run.Steps() > 2_000_000 {
			return
		}
		for _, p := range n.Projections {
			if p.Connector.Kind == FixedNumberPre || p.Connector.Kind == FixedNumberPost {
				if p.Connector.N > 1000 {
					return
				}
			}
		}
		if _, err := Expand(n); err != nil {
			t.Fatalf("parsed but did not expand: %v", err)
		}
	})
}
