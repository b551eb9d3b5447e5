package ir

import (
	"os"
	"path/filepath"
	"strings"
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

// TestConvConnector: a conv connector reads, expands into the kernel's
// synapses (scaled by the projection's weight), and prints back the same.
func TestConvConnector(t *testing.T) {
	src := `
name: conv
run: {timestep: 1ms, duration: 10ms}
populations:
  img: {size: 9, model: spike_source_array, spike_times: [[]]}
  fmap: {size: 4, model: lif, params: {tau: 10ms}}
  pooled: {size: 1, model: lif, params: {tau: 10ms}}
projections:
  c:
    pre: img
    post: fmap
    connector: {type: conv, in: [1, 3, 3], kernel: [2, 2], out_channels: 1, weights: [1, 2, 3, 4]}
    weight: 0.5
  p:
    pre: fmap
    post: pooled
    connector: {type: conv, in: [1, 2, 2], kernel: [2, 2], stride: [2, 2], pool: avg}
`
	n, err := Parse("conv.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Expand(n)
	if err != nil {
		t.Fatal(err)
	}
	// The centre pixel (4) reaches every output with the kernel weight at
	// its offset, times 0.5.
	var centre []Synapse
	for _, s := range e.Synapses[0] {
		if s.Pre == 4 {
			centre = append(centre, s)
		}
	}
	want := []Synapse{{4, 0, 2, 1e-3}, {4, 1, 1.5, 1e-3}, {4, 2, 1, 1e-3}, {4, 3, 0.5, 1e-3}}
	if diff := cmp.Diff(want, centre); diff != "" {
		t.Errorf("conv synapses of the centre pixel (-want +got):\n%s", diff)
	}
	if got := len(e.Synapses[1]); got != 4 {
		t.Errorf("pooling: %d synapses, want 4", got)
	}
	for _, s := range e.Synapses[1] {
		if s.Weight != 0.25 {
			t.Errorf("avg pooling weight %g, want 0.25", s.Weight)
		}
	}
	out, err := Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	n2, err := Parse("conv.out.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out2, _ := Marshal(n2)
	if diff := cmp.Diff(string(out), string(out2)); diff != "" {
		t.Errorf("print → parse → print (-first +second):\n%s", diff)
	}
	bad := strings.Replace(src, "weights: [1, 2, 3, 4]", "weights: [1, 2, 3]", 1)
	if _, err := Parse("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "3 weights, want 4") {
		t.Errorf("wrong weight count: %v", err)
	}
}
