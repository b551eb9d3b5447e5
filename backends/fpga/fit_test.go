package fpga

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/internal/golden"
	"github.com/somahw/soma/target"
)

// TestCheckFit: Check refuses a design whose estimate exceeds the part,
// naming the resource, and accepts it on a part it fits; between
// FitWarn and FitRefuse it warns.
func TestCheckFit(t *testing.T) {
	tests := []struct {
		design, board string
		opts          compiler.Options
		// bram36 overrides the part's BRAM36 capacity (0: the datasheet's)
		bram36 int
		over   []FitRow // nil: accepted
		warn   string   // a warning naming this, or none
	}{
		{design: "n4x1024", board: "ultra96", opts: compiler.Options{NeuronsPerCore: 1024},
			over: []FitRow{{"BRAM36", 234, 216}}},
		{design: "n4x1024", board: "zcu102", opts: compiler.Options{NeuronsPerCore: 1024}},
		{design: "n4x1024", board: "zcu104", opts: compiler.Options{NeuronsPerCore: 1024}},
		{design: "n256", board: "ultra96"},
		// the boundaries of the policy, on n256's 19 BRAM36
		{design: "n256", board: "ultra96", bram36: 18, over: []FitRow{{"BRAM36", 19, 18}}},
		{design: "n256", board: "ultra96", bram36: 19, warn: "uses 19 of 19 BRAM36 (100%)"},
		{design: "n256", board: "ultra96", bram36: 21, warn: "uses 19 of 21 BRAM36 (90%)"},
		{design: "n256", board: "ultra96", bram36: 22},
	}
	for _, tc := range tests {
		name := tc.design + "/" + tc.board
		if tc.bram36 > 0 {
			name += "/bram36=" + ftoa(float64(tc.bram36))
		}
		t.Run(name, func(t *testing.T) {
			p, tg := compileSrc(t, designSrc(t, tc.design), tc.board, tc.opts)
			if tc.bram36 > 0 {
				tg.FPGA.Resources.BRAM36 = tc.bram36
			}
			d, warnings, err := Check(p, tg)
			var fe *FitError
			switch {
			case tc.over == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.over != nil && !errors.As(err, &fe):
				t.Fatalf("Check: %v, want a FitError", err)
			case tc.over != nil:
				if diff := cmp.Diff(tc.over, fe.Over); diff != "" {
					t.Errorf("resources over the part (-want +got)\n%s", diff)
				}
				for _, r := range tc.over {
					if !strings.Contains(err.Error(), r.Resource) {
						t.Errorf("the refusal does not name %s:\n%v", r.Resource, err)
					}
				}
				if d != nil {
					t.Error("Check returned a design with its refusal")
				}
				return
			}
			if d == nil {
				t.Fatal("no design")
			}
			switch {
			case tc.warn == "" && len(warnings) > 0:
				t.Errorf("warnings %q, want none", warnings)
			case tc.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tc.warn)):
				t.Errorf("warnings %q, want one containing %q", warnings, tc.warn)
			}
		})
	}
}

// TestFitErrorText: the refusal's whole text (golden): the resource,
// estimate against capacity, the populations and memories that use it,
// and the three things to change.
func TestFitErrorText(t *testing.T) {
	tests := []struct {
		name, design, board string
		opts                compiler.Options
		res                 func(*target.Resources)
	}{
		{"n4x1024-ultra96", "n4x1024", "ultra96", compiler.Options{NeuronsPerCore: 1024}, nil},
		// logic over the part: the per-engine knob says to raise it
		{"n256-small-part", "n256", "zcu102", compiler.Options{NeuronsPerCore: 128}, func(r *target.Resources) {
			r.LUTs, r.DSP48E2 = 2000, 10
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, tg := compileSrc(t, designSrc(t, tc.design), tc.board, tc.opts)
			if tc.res != nil {
				tc.res(&tg.FPGA.Resources)
			}
			_, _, err := Check(p, tg)
			if err == nil {
				t.Fatal("not refused")
			}
			golden.Check(t, filepath.Join("testdata", "fit-"+tc.name+".golden"), "the refusal", []byte(err.Error()+"\n"))
		})
	}
}

// TestWriteArtifactsRefuses: WriteArtifacts refuses before it runs the
// emulator or writes a file.
func TestWriteArtifactsRefuses(t *testing.T) {
	p, tg := compileSrc(t, designSrc(t, "n4x1024"), "ultra96", compiler.Options{NeuronsPerCore: 1024})
	dir := filepath.Join(t.TempDir(), "out")
	err := WriteArtifacts(dir, p, tg)
	var fe *FitError
	if !errors.As(err, &fe) {
		t.Fatalf("WriteArtifacts: %v, want a FitError", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s exists after the refusal (%v)", dir, err)
	}
}

// TestManifestEstimate: the manifest carries the estimate and the fit
// rows soma fpga report compares with yosys.
func TestManifestEstimate(t *testing.T) {
	p, tg := compileSrc(t, designSrc(t, "n256"), "ultra96", compiler.Options{})
	dir := t.TempDir()
	if err := WriteArtifacts(dir, p, tg); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Estimate == nil {
		t.Fatal("no estimate in the manifest")
	}
	got := [6]float64{float64(m.Estimate.LUTs), float64(m.Estimate.FFs), m.Estimate.BRAM36, float64(m.Estimate.URAM), float64(m.Estimate.DSP), float64(m.Estimate.LUTRAM)}
	want := [6]float64{1365, 828, 19, 0, 7, 8} // docs/fpga-engine.md, n256 on ultra96
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("estimate (-want +got)\n%s", diff)
	}
	wantFit := []FitRow{{"LUT", 1365 + 8*8, 70560}, {"FF", 828, 141120}, {"BRAM36", 19, 216}, {"URAM288", 0, 0}, {"DSP48E2", 7, 360}}
	if diff := cmp.Diff(wantFit, m.Fit); diff != "" {
		t.Errorf("fit rows (-want +got)\n%s", diff)
	}
}

// TestReportText: soma fpga report's table puts yosys's figures beside
// the estimate and its error (golden; the yosys figures are the ones
// docs/fpga-engine.md records for n256 on ultra96).
func TestReportText(t *testing.T) {
	p, tg := compileSrc(t, designSrc(t, "n256"), "ultra96", compiler.Options{})
	dir := t.TempDir()
	if err := WriteArtifacts(dir, p, tg); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	u := &Utilisation{LUTs: 1355, FFs: 829, BRAM36: 19, DSP: 7, LUTRAM: 8, SRL: 46}
	var b strings.Builder
	if err := WriteReport(&b, u, tg, m); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "report-n256-ultra96.golden"), "the report", []byte(b.String()))
	// A manifest without an estimate (written before it existed).
	m.Estimate = nil
	b.Reset()
	if err := WriteReport(&b, u, tg, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "no estimate") {
		t.Errorf("the report of a manifest without an estimate does not say so:\n%s", b.String())
	}
}
