package spinnaker

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/program"
)

func TestInspect(t *testing.T) {
	b := encode(t, compile(t, "testdata/tiny.yaml", "spinn5"))
	s, err := Inspect(b)
	if err != nil {
		t.Fatal(err)
	}
	if !s.CRCOK || len(s.Problems) > 0 {
		t.Errorf("a good image has problems: CRC %t, %v", s.CRCOK, s.Problems)
	}
	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"target: spinn5 (8×8 chips, 18 cores per chip)", "network: tiny, timestep 1000 µs", "CRC-32", "OK", "/1023", "synapses"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, text.String())
		}
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatal(err)
	}

	// A flipped synaptic word: the summary still reads, and names it.
	im, _ := parse(b, false)
	var id program.CoreID
	bad := slices.Clone(b)
	for i, rec := range im.coreRecs {
		if ri := rec.regions[RegionSynapses]; ri.Words > 0 {
			bad[ri.Ptr] ^= 1
			id = im.cores[i].CoreID
			break
		}
	}
	s, err = Inspect(bad)
	if err != nil {
		t.Fatal(err)
	}
	if s.CRCOK || len(s.Problems) != 2 || !strings.Contains(s.Problems[1], "core "+id.String()+" region synapses") {
		t.Errorf("corrupt image: CRC OK %t, problems %q", s.CRCOK, s.Problems)
	}
}

func TestDumpRegion(t *testing.T) {
	p := compile(t, "testdata/tiny.yaml", "spinn5")
	b := encode(t, p)
	// The core of population b has every neuron-side region.
	var id program.CoreID
	for _, c := range p.Cores {
		if p.Populations[c.Pop].Name == "b" && c.Kind == program.NeuronCore {
			id = c.CoreID
		}
	}
	cases := []struct {
		region Region
		wants  []string
	}{
		{RegionSystem, []string{"timestep_us 1000", "steps 50", "state_frac 15"}},
		{RegionNeurons, []string{"v_thresh", "-50"}},
		{RegionSynapseParams, []string{"delay_bits 4 (16 delay slots)", "weight_shift[0]"}},
		{RegionPopTable, []string{"key ", "plastic true"}},
		{RegionSynapses, []string{"pre key", "-> post", "weight", "delay", "type 1", "last pre step"}},
		{RegionSTDP, []string{"rule multiplicative", "tau_plus_decay: 256 entries"}},
		{RegionRecording, []string{"var v every 1 steps", "weights of src_b every 10 steps"}},
	}
	for _, c := range cases {
		t.Run(c.region.String(), func(t *testing.T) {
			var out bytes.Buffer
			if err := DumpRegion(&out, b, id, c.region); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.wants {
				if !strings.Contains(out.String(), w) {
					t.Errorf("dump lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	// The source and delay-extension cores have the other two regions.
	for _, c := range p.Cores {
		want := map[program.CoreKind]struct {
			r Region
			s string
		}{
			program.SourceCore: {RegionSpikes, "step 2 neuron"},
			program.DelayCore:  {RegionDelay, "slots 15 per stage"},
		}[c.Kind]
		if want.s == "" {
			continue
		}
		var out bytes.Buffer
		if err := DumpRegion(&out, b, c.CoreID, want.r); err != nil || !strings.Contains(out.String(), want.s) {
			t.Errorf("core %s region %s: %v, output lacks %q:\n%s", c.CoreID, want.r, err, want.s, out.String())
		}
	}
	var out bytes.Buffer
	if err := DumpRegion(&out, b, id, RegionSpikes); err == nil || !strings.Contains(err.Error(), "has no spikes region") {
		t.Errorf("dumping an absent region: %v", err)
	}
	if err := DumpRegion(&out, b, program.CoreID{X: 7, Y: 7, P: 17}, RegionSystem); err == nil || !strings.Contains(err.Error(), "no core 7,7,17") {
		t.Errorf("dumping a missing core: %v", err)
	}
	names := RegionNames()
	if diff := cmp.Diff([]string{"system", "neurons", "synapse_params", "pop_table", "synapses", "stdp", "recording", "spikes", "delay"}, names); diff != "" {
		t.Errorf("region names (-want +got):\n%s", diff)
	}
}
