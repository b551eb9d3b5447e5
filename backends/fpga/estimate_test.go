package fpga

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/program"
)

// resourceDesigns are the designs of the resource figures in
// docs/fpga-engine.md (testdata/NAME.yaml; by hand: soma compile
// testdata/n256.yaml --target zcu102 -o out && soma fpga report out), with what yosys 0.23 (synth_xilinx -family xcup
// -flatten) reported for them on each board: TestEstimate holds Estimate
// to these without running yosys, TestResources (SOMA_LONG=1) measures
// them again.
var resourceDesigns = []struct {
	name  string // testdata/NAME.yaml
	label string // name and partition, for test names
	opts  compiler.Options
	yosys map[string]Utilisation // by board
}{
	{"n256", "n256", compiler.Options{}, map[string]Utilisation{
		"ultra96": {LUTs: 1355, FFs: 829, BRAM36: 19, DSP: 7, LUTRAM: 8},
		"zcu104":  {LUTs: 1209, FFs: 827, BRAM36: 8, URAM: 2, DSP: 7, LUTRAM: 8},
		"zcu102":  {LUTs: 1355, FFs: 829, BRAM36: 19, DSP: 7, LUTRAM: 8},
	}},
	// 4 × 1024 neurons (ultra96 refuses it: the zcu102's design, 234 of
	// 216 BRAM36; TestUltra96DesignIsZCU102s)
	{"n4x1024", "n4x1024-4x1024", compiler.Options{NeuronsPerCore: 1024}, map[string]Utilisation{
		"ultra96": {LUTs: 5476, FFs: 3074, BRAM36: 234, DSP: 28},
		"zcu104":  {LUTs: 4393, FFs: 3066, BRAM36: 134, URAM: 16, DSP: 28},
		"zcu102":  {LUTs: 5476, FFs: 3074, BRAM36: 234, DSP: 28},
	}},
	// the same network at the compiler's own partition: 16 × 256 on the
	// zcu102, 8 × 512 on the zcu104 (ultra96: too large, not run)
	{"n4x1024", "n4x1024-partitioned", compiler.Options{}, map[string]Utilisation{
		"zcu104": {LUTs: 8815, FFs: 5803, BRAM36: 160, URAM: 16, DSP: 56},
		"zcu102": {LUTs: 16489, FFs: 11436, BRAM36: 376, DSP: 112, LUTRAM: 128},
	}},
}

var resourceBoards = []string{"ultra96", "zcu104", "zcu102"}

// estimateTolerance is how far Estimate may be from yosys: block
// memories and DSPs follow from the memory shapes and the datapath, LUTs
// and FFs from fitted per-engine constants.
func estimateTolerance(resource string) float64 {
	switch resource {
	case "LUT", "FF":
		return 0.25
	default:
		return 0.10
	}
}

func relErr(est, got float64) float64 {
	if got == 0 {
		if est == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return (est - got) / got
}

func compareUtil(est, got Utilisation) map[string][2]float64 {
	return map[string][2]float64{
		"LUT":    {float64(est.LUTs), float64(got.LUTs)},
		"FF":     {float64(est.FFs), float64(got.FFs)},
		"BRAM36": {est.BRAM36, got.BRAM36},
		"URAM":   {float64(est.URAM), float64(got.URAM)},
		"DSP":    {float64(est.DSP), float64(got.DSP)},
		"LUTRAM": {float64(est.LUTRAM), float64(got.LUTRAM)},
	}
}

func checkEstimate(t *testing.T, what string, est, got Utilisation) string {
	t.Helper()
	var row []string
	cmp := compareUtil(est, got)
	for _, r := range []string{"LUT", "FF", "BRAM36", "URAM", "DSP", "LUTRAM"} {
		e, g := cmp[r][0], cmp[r][1]
		err := relErr(e, g)
		row = append(row, fmt.Sprintf("%s %g/%g (%+.0f%%)", r, e, g, 100*err))
		if math.Abs(err) > estimateTolerance(r) {
			t.Errorf("%s: %s estimate %g, yosys %g (%+.1f%%, tolerance %.0f%%)", what, r, e, g, 100*err, 100*estimateTolerance(r))
		}
	}
	return strings.Join(row, ", ")
}

// TestEstimate: the estimate is within tolerance of the recorded yosys
// figures of each design on each board.
func TestEstimate(t *testing.T) {
	for _, rd := range resourceDesigns {
		for _, board := range resourceBoards {
			got := rd.yosys[board]
			if got.LUTs == 0 {
				continue // not measured yet
			}
			t.Run(rd.label+"/"+board, func(t *testing.T) {
				p, tg := compileSrc(t, designSrc(t, rd.name), board, rd.opts)
				d, err := Build(p, tg)
				if err != nil {
					t.Fatal(err)
				}
				t.Log(checkEstimate(t, rd.label+" on "+board, Estimate(d), got))
			})
		}
	}
}

// TestEstimateShapes: the block-memory arithmetic on known shapes.
func TestEstimateShapes(t *testing.T) {
	tests := []struct {
		width, depth int
		sdp          bool
		bram         float64
		deep         int // blocks stacked in depth
		uram         int
		uramDeep     int
	}{
		{24, 4096, false, 3, 1, 1, 1},    // ring of 256 neurons: 4K × 9
		{32, 10395, false, 11, 11, 2, 2}, // synapses: 1K × 36; URAM 8K × 36
		{88, 256, true, 1.5, 1, 2, 1},    // state: three RAMB18 at 512 × 36
		{32, 512, true, 0.5, 1, 1, 1},    // inbox
		{24, 16384, false, 12, 1, 2, 2},  // ring of 1024 neurons: 16K × 2
		{32, 24828, false, 25, 25, 4, 4}, // 1K × 36
		{216, 1024, true, 6, 1, 3, 1},    // six RAMB36 at 1K × 36 or 512 × 72: the first
		{216, 1024, false, 6, 1, 3, 1},   // 1K × 36 without the SDP modes
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%dx%d", tc.width, tc.depth), func(t *testing.T) {
			if got, deep := bramShape(tc.width, tc.depth, tc.sdp); got != tc.bram || deep != tc.deep {
				t.Errorf("bramShape(%d, %d, %v) = %g, %d deep; want %g, %d", tc.width, tc.depth, tc.sdp, got, deep, tc.bram, tc.deep)
			}
			if got, deep := uram288(tc.width, tc.depth), uramDeep(tc.width, tc.depth); got != tc.uram || deep != tc.uramDeep {
				t.Errorf("uram288(%d, %d) = %d, %d deep; want %d, %d", tc.width, tc.depth, got, deep, tc.uram, tc.uramDeep)
			}
		})
	}
}

// TestResources synthesizes the resource designs with yosys on every
// board and compares the estimate (slow: SOMA_LONG=1; the 4 × 1024 design
// takes several minutes). Boards whose generated design is identical are
// synthesized once.
func TestResources(t *testing.T) {
	if !long() {
		t.Skip("yosys synthesis of the resource designs takes minutes; run with SOMA_LONG=1")
	}
	if _, err := exec.LookPath("yosys"); err != nil {
		t.Skip("yosys not found on PATH")
	}
	var mu sync.Mutex
	var table []string
	for _, rd := range resourceDesigns {
		t.Run(rd.label, func(t *testing.T) {
			t.Parallel()
			runs := map[string]*Utilisation{} // by design hash
			for _, board := range resourceBoards {
				p, tg := compileSrc(t, designSrc(t, rd.name), board, rd.opts)
				d, err := Build(p, tg)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := Check(p, tg); err != nil {
					// a design the part cannot hold is refused before
					// yosys: the refusal is its report (the same RTL is
					// synthesised for the bigger parts)
					var fe *FitError
					if !errors.As(err, &fe) {
						t.Fatal(err)
					}
					mu.Lock()
					table = append(table, fmt.Sprintf("%s %s: refused: %s", rd.label, board, strings.SplitN(err.Error(), "\n", 2)[0]))
					mu.Unlock()
					continue
				}
				dir := t.TempDir()
				if err := WriteArtifacts(dir, p, tg); err != nil {
					t.Fatal(err)
				}
				h, err := DesignHash(dir)
				if err != nil {
					t.Fatal(err)
				}
				u := runs[h]
				if u == nil {
					if u, err = Synthesize(context.Background(), dir); err != nil {
						t.Fatal(err)
					}
					runs[h] = u
				}
				est := Estimate(d)
				row := checkEstimate(t, rd.label+" on "+board, est, *u)
				// logged now as well as in the table at the end: a
				// 4 × 1024 synthesis takes most of an hour, and a run cut
				// short by -timeout must not lose it
				t.Logf("%s %s: estimate/yosys %s", rd.label, board, row)
				mu.Lock()
				table = append(table, fmt.Sprintf("%s %s: estimate/yosys %s", rd.label, board, row))
				mu.Unlock()
			}
		})
	}
	t.Cleanup(func() {
		sort.Strings(table)
		t.Log("\n" + strings.Join(table, "\n"))
	})
}

// designSrc reads the model of a resource design from testdata.
func designSrc(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUltra96DesignIsZCU102s: the 4 × 1024 design, which soma refuses on
// the ultra96 (too little block RAM), is the very design it builds for the
// zcu102 — same RTL but for a comment, same memory images, same hash — so
// yosys's figures for the zcu102 are the ultra96's, and show by how much it
// does not fit (resourceDesigns lists them under both).
func TestUltra96DesignIsZCU102s(t *testing.T) {
	hashes := map[string]string{}
	for _, board := range []string{"ultra96", "zcu102"} {
		p, tg := compileSrc(t, designSrc(t, "n4x1024"), board, compiler.Options{NeuronsPerCore: 1024})
		d, err := Build(p, tg)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := Check(p, tg); (err != nil) != (board == "ultra96") {
			t.Fatalf("%s: fit check: %v (want a refusal on the ultra96 only)", board, err)
		}
		e, err := emu.New(p, program.NewMachine(tg), emu.Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		res, cnt, err := e.Run()
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := d.Write(dir, p, res, cnt); err != nil {
			t.Fatal(err)
		}
		if hashes[board], err = DesignHash(dir); err != nil {
			t.Fatal(err)
		}
	}
	if hashes["ultra96"] != hashes["zcu102"] {
		t.Fatalf("the ultra96 and zcu102 designs differ: %v", hashes)
	}
	for _, rd := range resourceDesigns {
		if rd.label == "n4x1024-4x1024" {
			if diff := cmp.Diff(rd.yosys["zcu102"], rd.yosys["ultra96"]); diff != "" {
				t.Errorf("resourceDesigns: n4x1024's figures on ultra96 and zcu102 differ (-zcu102 +ultra96); the same design has the same:\n%s", diff)
			}
		}
	}
}
