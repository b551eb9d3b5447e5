package target

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/somahw/soma/internal/golden"

	"github.com/google/go-cmp/cmp"
)

func TestWriteSummaryGolden(t *testing.T) {
	for _, name := range []string{"spinn5", "zcu102"} {
		t.Run(name, func(t *testing.T) {
			tg, err := Load(name)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := tg.WriteSummary(&buf); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+".golden"), "WriteSummary("+name+")", buf.Bytes())
		})
	}
}

func TestOneLine(t *testing.T) {
	want := []string{
		"spinn3    spinnaker  SpiNN-3 board: 4 chips, 68 application cores, 1 ms",
		"spinn5    spinnaker  SpiNN-5 board: 48 chips, 816 application cores, 1 ms",
		"spinn5x3  spinnaker  SpiNN-5 x3 board: 144 chips, 2448 application cores, 1 ms",
		"ultra96   fpga       Ultra96 board (xczu3eg-sbva484-1-e): 4 engines × 256 neurons at 200 MHz, 1 ms",
		"zcu102    fpga       ZCU102 board (xczu9eg-ffvb1156-2-e): 16 engines × 256 neurons at 200 MHz, 1 ms",
		"zcu104    fpga       ZCU104 board (xczu7ev-ffvc1156-2-e): 8 engines × 256 neurons at 200 MHz, 1 ms",
	}
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range all {
		got = append(got, tg.OneLine())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFormatters(t *testing.T) {
	got := []string{
		formatSI(2.5e-11, Joule), formatSI(0.35, Watt), formatSI(26.84, Watt), formatSI(1.8e-9, Joule),
		formatSI(3.5e-9, Second), formatBytes(123469792), formatBytes(128 << 20), formatBytes(4608),
		formatHz(200e6), formatHz(130e6), group(2520), group(599550),
	}
	want := []string{
		"25 pJ", "350 mW", "26.84 W", "1.8 nJ",
		"3.5 ns", "123,469,792 B", "128 MiB", "4,608 B",
		"200 MHz", "130 MHz", "2,520", "599,550",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
