package results

import (
	"bytes"
	"encoding/xml"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/somahw/soma/internal/golden"
)

func writeRaster(t testing.TB, r *Result, opts RasterOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteRasterSVG(&b, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// wellFormed fails the test if svg is not well-formed XML.
func wellFormed(t *testing.T, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
}

func TestWriteRasterSVG(t *testing.T) {
	r := sample()
	svg := writeRaster(t, r, RasterOptions{})
	golden.Check(t, filepath.Join("testdata", "raster.svg.golden"), "raster.svg.golden", svg)
	wellFormed(t, svg)
	for _, want := range []string{"balanced (reference): 6 spikes", "time (ms)", ">exc<", ">inh<", ">silent<",
		"stroke:#1F77B4", "stroke:#FF7F0E"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	// Deterministic: spikes in another order give the same bytes.
	r.Sort()
	if !bytes.Equal(svg, writeRaster(t, r, RasterOptions{})) {
		t.Error("two renderings of the same result differ")
	}
}

func TestWriteRasterSVGOptions(t *testing.T) {
	tests := []struct {
		name    string
		r       *Result
		opts    RasterOptions
		want    []string
		wantErr string
	}{
		{name: "seconds", r: sample(), opts: RasterOptions{TimeUnit: "s", Title: "my title", Width: 4, Height: 3},
			want: []string{"time (s)", "my title", `width="288pt" height="216pt"`}},
		{name: "long run auto seconds", r: &Result{Timestep: 1e-3, Steps: 20000, Populations: []Population{{Name: "p", Size: 1}}},
			want: []string{"time (s)"}},
		{name: "empty", r: &Result{Timestep: 1e-3}, want: []string{"time (ms)"}},
		{name: "bad unit", r: sample(), opts: RasterOptions{TimeUnit: "us"}, wantErr: `time unit "us"; want s or ms`},
		{name: "bad spike", r: &Result{Timestep: 1e-3, Spikes: []Spike{{}}}, wantErr: "spike 0: population index 0 out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := tt.r.WriteRasterSVG(&b, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wellFormed(t, b.Bytes())
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("SVG lacks %q", w)
				}
			}
		})
	}
}

func TestWriteRasterSVGSubsample(t *testing.T) {
	r := benchResult(30_000)
	opts := RasterOptions{MaxSpikes: 10_000}
	svg := writeRaster(t, r, opts)
	if !bytes.Contains(svg, []byte("showing a deterministic subsample of ")) ||
		!bytes.Contains(svg, []byte(" of 30000 spikes")) {
		t.Errorf("title does not say the raster is subsampled")
	}
	if !bytes.Equal(svg, writeRaster(t, r, opts)) {
		t.Error("subsampled rasters differ between runs")
	}
	// The subsample is about MaxSpikes: count tick segments (one M per spike).
	kept := bytes.Count(svg, []byte("M"))
	if kept < 9_000 || kept > 11_000 {
		t.Errorf("drew about %d ticks, want about 10000", kept)
	}
}

func BenchmarkWriteRasterSVG100k(b *testing.B) {
	r := benchResult(100_000)
	for b.Loop() {
		writeRaster(b, r, RasterOptions{})
	}
}
