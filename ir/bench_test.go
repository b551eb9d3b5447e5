package ir

import (
	"os"
	"testing"
)

// BenchmarkParseExpandCUBA measures the front end on the CUBA network:
// parsing and validating the model file, then expanding 320k synapses.
func BenchmarkParseExpandCUBA(b *testing.B) {
	data, err := os.ReadFile("../examples/cuba.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var synapses int
	for b.Loop() {
		n, err := Parse("cuba.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		e, err := Expand(n)
		if err != nil {
			b.Fatal(err)
		}
		synapses += e.NumSynapses()
	}
	b.ReportMetric(float64(synapses)/b.Elapsed().Seconds(), "synapses/s")
}
