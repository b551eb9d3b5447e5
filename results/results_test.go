package results

import (
	"bytes"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/somahw/soma/internal/golden"

	"github.com/google/go-cmp/cmp"
)

// sample is a small two-population run with spikes out of order, used by
// several tests and golden files. Timestep 0.1 ms makes step×timestep carry
// binary noise (3×1e-4 = 0.00030000000000000003), which the writers must
// not show.
func sample() *Result {
	return &Result{
		Engine:   "reference",
		Network:  "balanced",
		Timestep: 1e-4,
		Steps:    10,
		Populations: []Population{
			{Name: "exc", Size: 4, Model: "lif"},
			{Name: "inh", Size: 2, Model: "lif"},
			{Name: "silent", Size: 3, Model: "lif"},
		},
		Spikes: []Spike{
			{Pop: 1, Neuron: 1, Step: 3},
			{Pop: 0, Neuron: 2, Step: 3},
			{Pop: 0, Neuron: 0, Step: 3},
			{Pop: 0, Neuron: 3, Step: 0},
			{Pop: 1, Neuron: 0, Step: 7},
			{Pop: 0, Neuron: 1, Step: 9},
		},
		Traces: []Trace{{
			Name: "exc.v", Population: "exc", Variable: "v", Unit: "V",
			Indices: []int{0, 2}, Every: 5,
			Data: []float64{-0.065, -0.065, -0.06, -0.0525},
		}},
		Timings: Timings{BuildS: 0.25, RunS: 1.5, TotalS: 1.75},
	}
}

func TestSort(t *testing.T) {
	r := sample()
	r.Sort()
	want := []Spike{
		{Pop: 0, Neuron: 3, Step: 0},
		{Pop: 0, Neuron: 0, Step: 3},
		{Pop: 0, Neuron: 2, Step: 3},
		{Pop: 1, Neuron: 1, Step: 3},
		{Pop: 1, Neuron: 0, Step: 7},
		{Pop: 0, Neuron: 1, Step: 9},
	}
	if diff := cmp.Diff(want, r.Spikes); diff != "" {
		t.Errorf("Sort (-want +got):\n%s", diff)
	}
}

func TestCounts(t *testing.T) {
	r := sample()
	r.Spikes = append(r.Spikes, Spike{Pop: 7}, Spike{Pop: -1}) // out of range: not counted
	if diff := cmp.Diff([]int{4, 2, 0}, r.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
}

func TestRoundTime(t *testing.T) {
	tests := []struct {
		step     int32
		timestep float64
		want     string
	}{
		{0, 1e-4, "0"},
		{3, 1e-4, "0.0003"},
		{7, 0.1e-3, "0.0007"},
		{1, 1e-5, "1e-05"},
		{12345, 1e-4, "1.2345"},
		{1000, 1e-3, "1"},
		{2147483647, 1e-4, "214748.3647"},
		{3, 1.0 / 3, "1"},
		{1, 1.0 / 3, "0.333333333333"},
	}
	for _, tt := range tests {
		got := string(appendTime(nil, tt.step, tt.timestep))
		if got != tt.want {
			t.Errorf("appendTime(%d, %v) = %q, want %q", tt.step, tt.timestep, got, tt.want)
		}
		// RoundTime must agree with the CSV text on the value.
		rt := RoundTime(float64(tt.step) * tt.timestep)
		if v, _ := strconv.ParseFloat(tt.want, 64); v != rt {
			t.Errorf("RoundTime(%d×%v) = %v, want %v", tt.step, tt.timestep, rt, v)
		}
	}
	for _, x := range []float64{math.NaN(), math.Inf(1), 0} {
		if got := RoundTime(x); !(got == x || math.IsNaN(x) && math.IsNaN(got)) {
			t.Errorf("RoundTime(%v) = %v", x, got)
		}
	}
}

func TestSummaryJSON(t *testing.T) {
	r := sample()
	var b bytes.Buffer
	if err := r.WriteSummaryJSON(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "summary.json.golden"), "summary.json.golden", b.Bytes())

	// The rate rule, spelled out: spikes / neurons / (steps × timestep).
	s := r.Summary()
	want := []PopulationSummary{
		{Name: "exc", Neurons: 4, Spikes: 4, MeanRateHz: 1000},
		{Name: "inh", Neurons: 2, Spikes: 2, MeanRateHz: 1000},
		{Name: "silent", Neurons: 3, Spikes: 0, MeanRateHz: 0},
	}
	if diff := cmp.Diff(want, s.Populations); diff != "" {
		t.Errorf("Summary populations (-want +got):\n%s", diff)
	}
}

func TestSummaryEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		r       Result
		wantErr string
	}{
		{name: "no steps", r: Result{Timestep: 1e-3, Populations: []Population{{Name: "a", Size: 2}}}},
		{name: "empty population", r: Result{Timestep: 1e-3, Steps: 5, Populations: []Population{{Name: "a"}}}},
		{name: "nan timing", r: Result{Engine: "emu", Network: "n", Timestep: 1e-3, Timings: Timings{RunS: math.NaN()}},
			wantErr: "summary of emu run of n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := tt.r.WriteSummaryJSON(&b)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(b.Bytes(), []byte("}\n")) {
				t.Errorf("summary does not end in a newline: %q", b.String())
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(r *Result)
		wantErr string // "" means valid
	}{
		{name: "ok", edit: func(r *Result) {}},
		{name: "bad pop", edit: func(r *Result) { r.Spikes[0].Pop = 3 }, wantErr: "spike 0: population index 3 out of range (3 populations)"},
		{name: "bad neuron", edit: func(r *Result) { r.Spikes[1].Neuron = 4 }, wantErr: "spike 1: neuron 4 out of range for population exc (4 neurons)"},
		{name: "negative step", edit: func(r *Result) { r.Spikes[2].Step = -1 }, wantErr: "negative step -1"},
		{name: "step past end", edit: func(r *Result) { r.Spikes[2].Step = 10 }, wantErr: "step 10 is past the end of the run (10 steps)"},
		{name: "timestep", edit: func(r *Result) { r.Timestep = 0 }, wantErr: "timestep 0 s is not a positive number"},
		{name: "dup pop", edit: func(r *Result) { r.Populations[1].Name = "exc" }, wantErr: `population name "exc" appears twice`},
		{name: "dup trace", edit: func(r *Result) { r.Traces = append(r.Traces, r.Traces[0]) }, wantErr: `trace name "exc.v" appears twice`},
		{name: "every", edit: func(r *Result) { r.Traces[0].Every = 0 }, wantErr: "trace exc.v: sampling interval 0 steps"},
		{name: "ragged trace", edit: func(r *Result) { r.Traces[0].Data = r.Traces[0].Data[:3] }, wantErr: "trace exc.v: 3 values is not a whole number of samples of 2 indices"},
		{name: "data no indices", edit: func(r *Result) { r.Traces[0].Indices = nil }, wantErr: "trace exc.v: 4 values but no indices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sample()
			tt.edit(r)
			err := r.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
