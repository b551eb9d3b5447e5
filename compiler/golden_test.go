package compiler

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/somahw/soma/internal/golden"

	"github.com/somahw/soma/ir"
)

// TestGoldenReports compiles every example for a SpiNNaker board and an
// FPGA and compares the mapping report (or the refusal) with
// testdata/EXAMPLE.TARGET.golden; -update rewrites them.
func TestGoldenReports(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	for _, f := range files {
		for _, tname := range []string{"spinn5", "zcu102"} {
			name := strings.TrimSuffix(filepath.Base(f), ".yaml") + "." + tname
			t.Run(name, func(t *testing.T) {
				net, err := ir.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				res, err := Compile(net, loadTarget(t, tname), Options{Check: true})
				if err != nil {
					got.WriteString("error: " + err.Error() + "\n")
				} else if err := res.Report.WriteText(&got); err != nil {
					t.Fatal(err)
				}
				golden.Check(t, filepath.Join("testdata", name+".golden"), "report", got.Bytes())
			})
		}
	}
}
