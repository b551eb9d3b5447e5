package testbench

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/results"
)

// TestSuiteM1 runs the shipped suite: everything that can run here passes
// (board and rtl are skipped unless their engines are registered).
func TestSuiteM1(t *testing.T) {
	s, err := LoadSuite("suites/m1")
	if err != nil {
		t.Fatal(err)
	}
	outcomes, err := s.Run(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if failed := WriteTable(&table, outcomes); failed > 0 {
		t.Fatalf("%d failures:\n%s", failed, table.String())
	}
	ran := 0
	for _, o := range outcomes {
		if o.Skipped == "" {
			ran++
		}
	}
	if ran < 12 {
		t.Errorf("only %d outcomes ran:\n%s", ran, table.String())
	}
	var x bytes.Buffer
	if err := WriteJUnit(&x, outcomes); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(x.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v", err)
	}
	if doc.Suites[0].Tests != len(outcomes) {
		t.Errorf("JUnit counts %d tests, want %d", doc.Suites[0].Tests, len(outcomes))
	}
}

func result(spikes ...results.Spike) *results.Result {
	return &results.Result{Timestep: 1e-3, Steps: 100, Populations: []results.Population{{Name: "a", Size: 3}, {Name: "b", Size: 2}}, Spikes: spikes}
}

// TestDiffSpikes: the diff names the first diverging step and the neurons.
func TestDiffSpikes(t *testing.T) {
	a := result(results.Spike{Pop: 0, Neuron: 1, Step: 10}, results.Spike{Pop: 1, Neuron: 0, Step: 20}, results.Spike{Pop: 1, Neuron: 0, Step: 40})
	for _, tc := range []struct {
		name  string
		b     *results.Result
		ticks int
		first int
		line  string
	}{
		{"same", result(a.Spikes...), 0, -2, ""},
		{"one late within tolerance", result(results.Spike{Pop: 0, Neuron: 1, Step: 11}, a.Spikes[1], a.Spikes[2]), 1, -2, ""},
		{"one late", result(results.Spike{Pop: 0, Neuron: 1, Step: 12}, a.Spikes[1], a.Spikes[2]), 1, 10, "a[1] from step 10: expected [10], got [12]"},
		{"missing", result(a.Spikes[0], a.Spikes[1]), 0, 40, "b[0] from step 40: expected [20 40], got [20]"},
		{"extra", result(append(append([]results.Spike{}, a.Spikes...), results.Spike{Pop: 0, Neuron: 2, Step: 5})...), 0, 5, "a[2] from step 5: expected no spike, got [5]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := DiffSpikes(a, tc.b, tc.ticks)
			if tc.first == -2 {
				if d != nil {
					t.Fatalf("diff %v, want none", d)
				}
				return
			}
			if d == nil {
				t.Fatal("no diff")
			}
			if diff := cmp.Diff(tc.first, d.FirstStep); diff != "" {
				t.Errorf("first step (-want +got):\n%s", diff)
			}
			if !strings.Contains(d.Error(), tc.line) {
				t.Errorf("diff:\n%s\nwant a line %q", d.Error(), tc.line)
			}
		})
	}
}
