package ir

import (
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/somahw/soma/internal/golden"

	"github.com/google/go-cmp/cmp"
)

// TestErrorGolden checks the exact messages for bad model files: every
// problem at once, each with file:line:column, and a hint where one helps.
func TestErrorGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no error cases: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := ReadFile(f)
			if err == nil {
				t.Fatalf("ReadFile(%s) succeeded; want errors", f)
			}
			got := err.Error() + "\n"
			golden.Check(t, strings.TrimSuffix(f, ".yaml")+".golden", "errors for "+f, []byte(got))
		})
	}
}

func TestExamplesParse(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			n, err := ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Expand(n); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseQuantity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		dim  Dimension
		want float64
		err  string
	}{
		{"20ms", Time, 20e-3, ""},
		{"-65mV", Voltage, -65e-3, ""},
		{"-65 mV", Voltage, -65e-3, ""},
		{"0.25nF", Capacitance, 0.25e-9, ""},
		{"5Hz", Frequency, 5, ""},
		{"1.5nA", Current, 1.5e-9, ""},
		{"1e-3s", Time, 1e-3, ""},
		{"2.5e2us", Time, 250e-6, ""},
		{"100MOhm", Resistance, 1e8, ""},
		{"0", Voltage, 0, ""},
		{"0.5", Dimensionless, 0.5, ""},
		{"20", Time, 0, "expected a time with a unit (e.g. 20ms), got the bare number 20"},
		{"20mS", Time, 0, `unknown unit "mS" in "20mS"; did you mean ms?`},
		{"20mV", Time, 0, `expected a time (e.g. 20ms), got "20mV" which is a voltage`},
		{"ms", Time, 0, `expected a time such as 20ms, got "ms"`},
		{"", Time, 0, "expected a time, got an empty value"},
		{"1e999s", Time, 0, `expected a time such as 20ms, got "1e999s"`},
	} {
		got, err := ParseQuantity(tc.in, tc.dim)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != tc.err {
			t.Errorf("ParseQuantity(%q) error = %q, want %q", tc.in, gotErr, tc.err)
			continue
		}
		if err == nil && math.Abs(got-tc.want) > 1e-15*math.Abs(tc.want) {
			t.Errorf("ParseQuantity(%q) = %g, want %g", tc.in, got, tc.want)
		}
	}
}

func TestFormatQuantityRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		dim  Dimension
		want string
	}{
		{1e-4, Time, "0.1ms"},
		{20e-3, Time, "20ms"},
		{1, Time, "1s"},
		{-65e-3, Voltage, "-65mV"},
		{0.081e-9, Current, "81pA"},
		{1e-9, Capacitance, "1nF"},
		{20000, Frequency, "20kHz"},
		{0, Voltage, "0V"},
		{0.3, Dimensionless, "0.3"},
	} {
		got := FormatQuantity(tc.x, tc.dim)
		if got != tc.want {
			t.Errorf("FormatQuantity(%g, %s) = %q, want %q", tc.x, tc.dim, got, tc.want)
		}
		back, err := ParseQuantity(got, tc.dim)
		if err != nil || math.Abs(back-tc.x) > 1e-14*math.Abs(tc.x) {
			t.Errorf("ParseQuantity(FormatQuantity(%g)) = %g, %v", tc.x, back, err)
		}
	}
}

const smallNet = `
name: small
run: {timestep: 0.1ms, duration: 10ms, seed: 7}
populations:
  a: {size: 50, model: if_curr_exp, initial: {v: {uniform: [-65mV, -55mV]}}}
  b: {size: 40, model: cuba_lif, params: {tau_syn: 5ms, tau_mem: 10ms}}
  src: {size: 30, model: spike_source_poisson, params: {rate: 50Hz}}
projections:
  aa: {pre: a, post: a, connector: {type: fixed_probability, p: 0.2}, weight: {normal: [1nA, 0.2nA], clip: [0nA, 2nA]}, delay: {uniform: [0.1ms, 2ms]}}
  ab: {pre: a, post: b, connector: {type: fixed_number_pre, n: 7}, weight: 0.5, receptor: inhibitory}
  ba: {pre: b, post: a, connector: {type: fixed_number_post, n: 5, with_replacement: true}, weight: 1nA}
  sa: {pre: src, post: a, connector: {type: all_to_all}, weight: 0.1nA}
  aa2: {pre: a, post: a, connector: {type: all_to_all}, weight: 0.1nA}
  one: {pre: a, post: a, connector: one_to_one, weight: 0.1nA}
  lst: {pre: a, post: b, connector: {type: from_list, list: [[0, 1], [2, 3, -0.5], [4, 5, 0.25, 1ms]]}, weight: 1}
  dn: {pre: src, post: b, connector: {type: dense, weights: [[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]]}}
probes:
  - {population: a, record: spikes}
`

func TestConnectors(t *testing.T) {
	// The dense matrix must have one row per post neuron: widen it here.
	src := strings.Replace(smallNet, "weights: [[", "weights: ["+strings.Repeat("["+strings.TrimSuffix(strings.Repeat("0, ", 30), ", ")+"], ", 39)+"[", 1)
	n, err := Parse("small.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Expand(n)
	if err != nil {
		t.Fatal(err)
	}
	count := func(name string) []Synapse { return e.Synapses[indexOf(n, name)] }
	// fixed_number_pre: every post neuron has exactly n distinct pres.
	perPost := map[int32]map[int32]bool{}
	for _, s := range count("ab") {
		if perPost[s.Post] == nil {
			perPost[s.Post] = map[int32]bool{}
		}
		perPost[s.Post][s.Pre] = true
		if s.Weight != -0.5 {
			t.Fatalf("ab: inhibitory NIR weight = %g, want -0.5", s.Weight)
		}
	}
	if len(perPost) != 40 {
		t.Errorf("ab: %d post neurons have inputs, want 40", len(perPost))
	}
	for post, pres := range perPost {
		if len(pres) != 7 {
			t.Errorf("ab: post %d has %d distinct pres, want 7", post, len(pres))
		}
	}
	if got := len(count("ba")); got != 40*5 {
		t.Errorf("ba: %d synapses, want 200", got)
	}
	if got := len(count("sa")); got != 30*50 {
		t.Errorf("sa: %d synapses, want 1500", got)
	}
	if got := len(count("aa2")); got != 50*49 {
		t.Errorf("aa2 (no autapses): %d synapses, want 2450", got)
	}
	for _, s := range count("aa") {
		if s.Pre == s.Post {
			t.Fatalf("aa: autapse %d→%d without allow_self", s.Pre, s.Post)
		}
		if s.Weight < 0 || s.Weight > 2e-9 {
			t.Fatalf("aa: weight %g outside the clip window", s.Weight)
		}
		if s.Delay < 0.1e-3 || s.Delay >= 2e-3 {
			t.Fatalf("aa: delay %g outside uniform [0.1ms, 2ms)", s.Delay)
		}
	}
	// p = 0.2 over 50×49 candidates: 490 expected, sd ≈ 19.8.
	if got := len(count("aa")); got < 490-5*20 || got > 490+5*20 {
		t.Errorf("aa: %d synapses, want about 490", got)
	}
	want := []Synapse{{0, 1, 1, 1e-4}, {2, 3, -0.5, 1e-4}, {4, 5, 0.25, 1e-3}}
	if diff := cmp.Diff(want, count("lst")); diff != "" {
		t.Errorf("from_list (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Synapse{{1, 39, 1, 1e-4}, {29, 39, 2, 1e-4}}, count("dn")); diff != "" {
		t.Errorf("dense (-want +got):\n%s", diff)
	}
	if got := len(count("one")); got != 50 {
		t.Errorf("one_to_one: %d synapses", got)
	}
}

func indexOf(n *Network, proj string) int {
	for i, p := range n.Projections {
		if p.Name == proj {
			return i
		}
	}
	return -1
}

// TestExpandDeterministic: same seed ⇒ identical synapses, parameters and
// spike trains at any GOMAXPROCS; another seed ⇒ different ones.
func TestExpandDeterministic(t *testing.T) {
	src := strings.Replace(smallNet, "  dn: {pre: src, post: b, connector: {type: dense, weights: [[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]]}}\n", "", 1)
	expand := func(seed string) *Expanded {
		n, err := Parse("small.yaml", []byte(strings.Replace(src, "seed: 7", "seed: "+seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		e, err := Expand(n)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	prev := runtime.GOMAXPROCS(1)
	a := expand("7")
	runtime.GOMAXPROCS(prev)
	b := expand("7")
	opt := cmp.AllowUnexported()
	_ = opt
	if diff := cmp.Diff(a.Synapses, b.Synapses); diff != "" {
		t.Errorf("synapses differ between runs (-first +second):\n%s", diff)
	}
	for i := range a.Populations {
		if diff := cmp.Diff(a.Populations[i].Initial, b.Populations[i].Initial); diff != "" {
			t.Errorf("initial values differ:\n%s", diff)
		}
		if diff := cmp.Diff(a.Populations[i].SpikeSteps, b.Populations[i].SpikeSteps); diff != "" {
			t.Errorf("spike trains differ:\n%s", diff)
		}
	}
	c := expand("8")
	if cmp.Equal(a.Synapses[0], c.Synapses[0]) {
		t.Error("seeds 7 and 8 gave identical fixed_probability synapses")
	}
}

// TestPoissonRate checks the geometric-gap sampler against its mean.
func TestPoissonRate(t *testing.T) {
	src := `
run: {timestep: 1ms, duration: 10s, seed: 3}
populations:
  p: {size: 100, model: spike_source_poisson, params: {rate: 20Hz, start: 1s, duration: 5s}}
`
	n, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Expand(n)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, train := range e.Populations[0].SpikeSteps {
		for k, s := range train {
			if s < 1000 || s >= 6000 {
				t.Fatalf("spike at step %d outside [start, start+duration)", s)
			}
			if k > 0 && s <= train[k-1] {
				t.Fatal("train not strictly increasing")
			}
		}
		total += len(train)
	}
	// 100 neurons × 5000 steps × p=0.02: mean 10000, sd ≈ 99.
	if total < 10000-500 || total > 10000+500 {
		t.Errorf("%d spikes, want about 10000", total)
	}
}

// TestAliases: YAML anchors work, and alias bombs are cut off, not expanded.
func TestAliases(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := range 12 {
		name := string(rune('b' + i))
		bomb += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	_, err := Parse("bomb.yaml", []byte(bomb))
	if err == nil {
		t.Fatal("alias bomb parsed")
	}
}
