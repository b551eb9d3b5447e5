package ir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestMarshalRoundTrip: parse → print → parse gives the same network, and
// print → parse → print is stable byte for byte.
func TestMarshalRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	sources := map[string][]byte{"small": []byte(smallNetValid())}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources[filepath.Base(f)] = data
	}
	ignorePos := cmp.Options{
		cmpopts.IgnoreFields(Network{}, "File"),
		cmpopts.IgnoreFields(Population{}, "Pos", "FieldPos"),
		cmpopts.IgnoreFields(Projection{}, "Pos", "FieldPos"),
		cmpopts.IgnoreFields(Probe{}, "Pos"),
		cmpopts.IgnoreFields(Run{}, "Pos"),
		cmpopts.IgnoreFields(STDP{}, "Pos"),
		cmpopts.EquateNaNs(),
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			a, err := Parse(name, src)
			if err != nil {
				t.Fatal(err)
			}
			out1, err := Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Parse(name+".out", out1)
			if err != nil {
				t.Fatalf("marshalled network does not parse: %v\n%s", err, out1)
			}
			if diff := cmp.Diff(a, b, ignorePos); diff != "" {
				t.Errorf("network changed through Marshal (-before +after):\n%s", diff)
			}
			out2, err := Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(out1), string(out2)); diff != "" {
				t.Errorf("print → parse → print not stable (-first +second):\n%s", diff)
			}
		})
	}
}

// smallNetValid is smallNet with its dense matrix widened to 40×30.
func smallNetValid() string {
	rows := "["
	for r := range 40 {
		if r > 0 {
			rows += ", "
		}
		rows += "["
		for c := range 30 {
			if c > 0 {
				rows += ", "
			}
			if (r+c)%7 == 0 {
				rows += "0.125"
			} else {
				rows += "0"
			}
		}
		rows += "]"
	}
	rows += "]"
	src := smallNet
	start := len("  dn: {pre: src, post: b, connector: {type: dense, weights: ")
	for i := 0; i+start < len(src); i++ {
		if src[i:i+4] == "  dn" {
			end := i
			for end < len(src) && src[end] != '\n' {
				end++
			}
			src = src[:i] + "  dn: {pre: src, post: b, connector: {type: dense, weights: " + rows + "}}" + src[end:]
			break
		}
	}
	return src + `
  - {population: a, record: v, indices: [1, 2], every: 3}
`
}
