package results

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// SpikesCSVHeader is the header line of the spike CSV format.
const SpikesCSVHeader = "population,neuron,step,time_s"

// WriteSpikesCSV writes the spikes as CSV: the header
// "population,neuron,step,time_s", then one row per spike in canonical order
// (step, population index, neuron). r itself is not reordered.
//
// time_s is step×timestep formatted as strconv.FormatFloat(t, 'g', 12, 64):
// rounded to TimeDigits (12) significant digits with trailing zeros dropped,
// so step 3 at 0.1 ms is "0.0003", not "0.00030000000000000003". It is there
// for people and plotting tools; readers use step.
//
// Population names are quoted as encoding/csv would quote them, so any name
// round-trips through ReadSpikesCSV.
func (r *Result) WriteSpikesCSV(w io.Writer) error {
	names := make([][]byte, len(r.Populations))
	for i, p := range r.Populations {
		names[i] = csvField(p.Name)
	}
	for i, s := range r.Spikes {
		if err := r.checkSpike(s); err != nil {
			return fmt.Errorf("results: writing spikes CSV: spike %d: %w", i, err)
		}
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(SpikesCSVHeader + "\n")
	// One reusable line buffer and strconv.Append* keep this at well under a
	// second per million spikes; fmt would be several times slower.
	line := make([]byte, 0, 128)
	for _, s := range r.sortedSpikes() {
		line = append(line[:0], names[s.Pop]...)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(s.Neuron), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(s.Step), 10)
		line = append(line, ',')
		line = appendTime(line, s.Step, r.Timestep)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// csvField returns name encoded as one CSV field, quoted only if needed,
// exactly as encoding/csv.Writer would write it.
func csvField(name string) []byte {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	// A lone empty field would be written as an empty line; pair it with a
	// dummy second field and cut that off again.
	_ = cw.Write([]string{name, ""})
	cw.Flush()
	out := b.Bytes()
	return bytes.Clone(out[:len(out)-2]) // drop ",\n"
}

// ReadSpikesCSV parses spikes in the format WriteSpikesCSV writes. The
// header line is required and names the columns, in any order:
//
//   - population,neuron,step,time_s — the full format. Population names are
//     looked up in pops and become indices into it. time_s may be left out; if
//     present it is ignored, because step is authoritative.
//   - neuron,step — the reduced format for one population's input spikes. The
//     caller passes that one population as pops (len(pops) must be 1) and
//     every spike gets Pop 0.
//
// Neurons must be within their population, steps non-negative. Blank lines
// are skipped and leading spaces in a field are ignored. Errors give the line
// number and column name. Spikes are returned in file order (Result.Sort
// orders them); duplicates are kept.
func ReadSpikesCSV(r io.Reader, pops []Population) ([]Spike, error) {
	byName := make(map[string]int32, len(pops))
	for i, p := range pops {
		if _, dup := byName[p.Name]; dup {
			return nil, fmt.Errorf("results: spikes CSV: population name %q given twice", p.Name)
		}
		byName[p.Name] = int32(i)
	}

	cr := csv.NewReader(skipBOM(r))
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("results: spikes CSV: empty file; want a header line " +
			`"` + SpikesCSVHeader + `" or "neuron,step"`)
	}
	if err != nil {
		return nil, fmt.Errorf("results: spikes CSV: %w", err)
	}
	const (
		colPop = iota
		colNeuron
		colStep
		colTime
		nCols
	)
	colNames := [nCols]string{"population", "neuron", "step", "time_s"}
	var idx [nCols]int
	for i := range idx {
		idx[i] = -1
	}
	for i, h := range header {
		h = strings.TrimSpace(h)
		c := -1
		for j, n := range colNames {
			if h == n {
				c = j
			}
		}
		if c < 0 {
			return nil, fmt.Errorf("results: spikes CSV line 1: unknown column %q; want columns %s or neuron,step",
				h, SpikesCSVHeader)
		}
		if idx[c] >= 0 {
			return nil, fmt.Errorf("results: spikes CSV line 1: column %s appears twice", h)
		}
		idx[c] = i
	}
	for _, c := range []int{colNeuron, colStep} {
		if idx[c] < 0 {
			return nil, fmt.Errorf("results: spikes CSV line 1: no %s column; want columns %s or neuron,step",
				colNames[c], SpikesCSVHeader)
		}
	}
	if idx[colPop] < 0 && len(pops) != 1 {
		return nil, fmt.Errorf("results: spikes CSV has no population column, so it must be read for exactly one population; got %d",
			len(pops))
	}

	var spikes []Spike
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return spikes, nil
		}
		if err != nil {
			// csv.ParseError already says which line.
			return nil, fmt.Errorf("results: spikes CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		var s Spike
		if c := idx[colPop]; c >= 0 {
			p, ok := byName[rec[c]]
			if !ok {
				return nil, fmt.Errorf("results: spikes CSV line %d, column population: unknown population %q (have %s)",
					line, rec[c], popNames(pops))
			}
			s.Pop = p
		}
		pop := pops[s.Pop]
		n, err := parseInt32(rec[idx[colNeuron]])
		if err != nil {
			return nil, fmt.Errorf("results: spikes CSV line %d, column neuron: %w", line, err)
		}
		if n < 0 || int(n) >= pop.Size {
			return nil, fmt.Errorf("results: spikes CSV line %d, column neuron: neuron %d out of range for population %s (%d neurons)",
				line, n, pop.Name, pop.Size)
		}
		s.Neuron = n
		st, err := parseInt32(rec[idx[colStep]])
		if err != nil {
			return nil, fmt.Errorf("results: spikes CSV line %d, column step: %w", line, err)
		}
		if st < 0 {
			return nil, fmt.Errorf("results: spikes CSV line %d, column step: negative step %d", line, st)
		}
		s.Step = st
		spikes = append(spikes, s)
	}
}

// parseInt32 parses a decimal integer that must fit a Spike field.
func parseInt32(f string) (int32, error) {
	f = strings.TrimSpace(f)
	v, err := strconv.ParseInt(f, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", f)
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("%d does not fit in 32 bits", v)
	}
	return int32(v), nil
}

// popNames lists population names for error messages.
func popNames(pops []Population) string {
	var b strings.Builder
	for i, p := range pops {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(p.Name))
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// skipBOM drops a UTF-8 byte order mark, which spreadsheet programs put at
// the start of CSV files they save and which would otherwise become part of
// the first column's name.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	return br
}
