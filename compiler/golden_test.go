package compiler

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/ir"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

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
				golden := filepath.Join("testdata", name+".golden")
				if *update {
					os.MkdirAll("testdata", 0o755)
					if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./compiler -update)", err)
				}
				if diff := cmp.Diff(string(want), got.String()); diff != "" {
					t.Errorf("report (-want +got):\n%s", diff)
				}
			})
		}
	}
}
