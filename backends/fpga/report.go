package fpga

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/somahw/soma/target"
)

// Utilisation is a design's UltraScale+ primitive counts.
type Utilisation struct {
	LUTs   int     `json:"luts"`
	FFs    int     `json:"ffs"`
	BRAM36 float64 `json:"bram36"` // RAMB18E2 counts ½
	URAM   int     `json:"uram288"`
	DSP    int     `json:"dsp48e2"`
	// LUTRAM counts distributed-RAM cells (RAM32M, RAM64M, …); they sit in
	// SLICEM LUTs on top of LUTs.
	LUTRAM int `json:"lutram_cells"`
	// SRL counts shift-register LUTs (SRL16E, SRLC32E).
	SRL int `json:"srl"`
	// Cells is every cell type yosys reported, as counted.
	Cells map[string]int `json:"cells"`
}

var statLine = regexp.MustCompile(`^\s+([A-Z][A-Z0-9_]+)\s+(\d+)\s*$`)

// ParseYosysStat reads the text output of yosys's stat after synth_xilinx
// (stat -json of yosys 0.23 is not valid JSON for hierarchical designs,
// so the text form is parsed; flatten first so one module holds all).
func ParseYosysStat(r io.Reader) (*Utilisation, error) {
	u := &Utilisation{Cells: map[string]int{}}
	sc := bufio.NewScanner(r)
	found := false
	for sc.Scan() {
		m := statLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		cell := m[1]
		found = true
		u.Cells[cell] += n
		switch {
		case strings.HasPrefix(cell, "LUT") && len(cell) == 4:
			u.LUTs += n
		case cell == "FDRE" || cell == "FDSE" || cell == "FDCE" || cell == "FDPE" || strings.HasPrefix(cell, "LDCE") || strings.HasPrefix(cell, "LDPE"):
			u.FFs += n
		case cell == "RAMB36E2":
			u.BRAM36 += float64(n)
		case cell == "RAMB18E2":
			u.BRAM36 += float64(n) / 2
		case cell == "URAM288" || cell == "URAM288_BASE":
			u.URAM += n
		case strings.HasPrefix(cell, "DSP48E2"):
			u.DSP += n
		case strings.HasPrefix(cell, "RAM32") || strings.HasPrefix(cell, "RAM64") || strings.HasPrefix(cell, "RAM128") || strings.HasPrefix(cell, "RAM256"):
			u.LUTRAM += n
		case strings.HasPrefix(cell, "SRL"):
			u.SRL += n
		}
	}
	if !found {
		return nil, fmt.Errorf("no cell counts in the yosys output")
	}
	return u, sc.Err()
}

// SynthFile is where Synthesize keeps yosys's stat output in the design
// folder, under the hash of what yosys read (DesignHash): a large design
// takes yosys most of an hour, and its report is wanted more than once.
const SynthFile = "yosys-stat.txt"

// Synthesize runs yosys synth_xilinx -family xcup -flatten on the design
// in dir and returns its utilisation, or reads it from the folder's
// SynthFile when that holds a synthesis of the same design.
func Synthesize(ctx context.Context, dir string) (*Utilisation, error) {
	u, _, err := SynthesizeCached(ctx, dir, false)
	return u, err
}

// SynthesizeCached is Synthesize that reports whether the figures came
// from SynthFile, and runs yosys even if they could (rerun).
func SynthesizeCached(ctx context.Context, dir string, rerun bool) (u *Utilisation, cached bool, err error) {
	hash, err := DesignHash(dir)
	if err != nil {
		return nil, false, err
	}
	header := "# soma: yosys stat of design " + hash + "\n"
	if !rerun {
		if b, err := os.ReadFile(filepath.Join(dir, SynthFile)); err == nil && strings.HasPrefix(string(b), header) {
			u, err := ParseYosysStat(strings.NewReader(string(b[len(header):])))
			if err == nil {
				return u, true, nil
			}
		}
	}
	if _, err := exec.LookPath("yosys"); err != nil {
		return nil, false, fmt.Errorf("yosys not found on PATH (install it: apt-get install yosys)")
	}
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, false, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, false, err
	}
	// -defer: elaborate with the real parameters only (the memory-file
	// parameters' defaults are empty).
	script := fmt.Sprintf("read_verilog -defer %s; synth_xilinx -family xcup -flatten -top %s; tee -q -o /dev/stdout stat", RTLFile, m.Top)
	cmd := exec.CommandContext(ctx, "yosys", "-q", "-p", script)
	cmd.Dir = abs
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, false, fmt.Errorf("yosys: %v\n%s", err, stderr.String())
	}
	u, err = ParseYosysStat(bytes.NewReader(out))
	if err != nil {
		return nil, false, err
	}
	// Keep the figures; a folder that cannot be written only loses the cache.
	_ = os.WriteFile(filepath.Join(dir, SynthFile), append([]byte(header), out...), 0o644)
	return u, false, nil
}

// DesignHash identifies what yosys reads in a design folder: the RTL
// (without its comment lines, which carry no logic) and the memory images.
func DesignHash(dir string) (string, error) {
	h := sha256.New()
	files, err := filepath.Glob(filepath.Join(dir, "*.mem"))
	if err != nil {
		return "", err
	}
	files = append(files, filepath.Join(dir, RTLFile))
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		if filepath.Base(f) == RTLFile {
			var keep []string
			for _, l := range strings.Split(string(b), "\n") {
				if !strings.HasPrefix(strings.TrimSpace(l), "//") {
					keep = append(keep, l)
				}
			}
			b = []byte(strings.Join(keep, "\n"))
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// WriteReport prints yosys's utilisation against the part's capacity,
// beside the estimate soma compile made before synthesis (the manifest's
// estimate) and the estimate's error.
func WriteReport(w io.Writer, u *Utilisation, t *target.Target, m *Manifest) error {
	res := t.FPGA.Resources
	fmt.Fprintf(w, "%s: %d engines, %d neurons, on %s (%s)\n", m.Network, len(m.Engines), neurons(m), t.FPGA.Part, t.Name)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "resource\tyosys\tavailable\tutilisation\testimate\testimate error\t")
	est := m.Estimate
	row := func(name string, used float64, avail int, estimate func(*Utilisation) float64) {
		pct := "-"
		if avail > 0 {
			pct = fmt.Sprintf("%.2f%%", 100*used/float64(avail))
		}
		av := "-"
		if avail >= 0 {
			av = strconv.Itoa(avail)
		}
		e, rel := "-", "-"
		if est != nil && estimate != nil {
			x := estimate(est)
			e = num(x)
			switch {
			case used != 0:
				rel = fmt.Sprintf("%+.1f%%", 100*(x-used)/used)
			case x == 0:
				rel = "0"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", name, num(used), av, pct, e, rel)
	}
	row("LUT", float64(u.LUTs), res.LUTs, func(e *Utilisation) float64 { return float64(e.LUTs) })
	row("FF", float64(u.FFs), res.FFs, func(e *Utilisation) float64 { return float64(e.FFs) })
	row("BRAM36", u.BRAM36, res.BRAM36, func(e *Utilisation) float64 { return e.BRAM36 })
	row("URAM288", float64(u.URAM), res.URAM288, func(e *Utilisation) float64 { return float64(e.URAM) })
	row("DSP48E2", float64(u.DSP), res.DSP48E2, func(e *Utilisation) float64 { return float64(e.DSP) })
	row("LUTRAM cells", float64(u.LUTRAM), -1, func(e *Utilisation) float64 { return float64(e.LUTRAM) })
	row("SRL", float64(u.SRL), -1, nil) // not estimated: yosys's choice for short delay lines
	if err := tw.Flush(); err != nil {
		return err
	}
	if est == nil {
		fmt.Fprintf(w, "(no estimate: the manifest predates it; soma compile -o writes one)\n")
	} else {
		fmt.Fprintf(w, "estimate: soma's model before synthesis (docs/fpga-engine.md, \"Estimate\"), by which soma compile refuses a design over the part; error = (estimate − yosys) / yosys.\n")
	}
	fmt.Fprintf(w, "yosys synth_xilinx -family xcup -flatten: cell counts before placement (LUTRAM and SRL cells also occupy LUTs).\n")
	fmt.Fprintf(w, "Timing closure, placement, routing and the bitstream need the vendor tools (Vivado); there is no open timing analysis for UltraScale+.\n")
	th := m.Throughput
	fmt.Fprintf(w, "throughput at %.0f MHz: worst step %d busy cycles (step %d) → ≥ %.2f µs per timestep; with the barrier schedule ≤ %.2f µs; program timestep %.0f µs: %s\n",
		float64(th.ClockHz)/1e6, th.BusyCycles, th.BusyStep, th.MinTimestepS*1e6, th.RTLTimestepS*1e6, m.Timestep*1e6, realTime(th.RealTime))
	return nil
}

func realTime(ok bool) string {
	if ok {
		return "real time"
	}
	return "slower than real time"
}

func neurons(m *Manifest) int {
	n := 0
	for _, e := range m.Engines {
		if e.Kind == "neurons" {
			n += e.N
		}
	}
	return n
}
