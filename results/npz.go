package results

import (
	"archive/zip"
	"fmt"
	"io"
	"strings"
)

// WriteNPZ writes the run as a NumPy .npz archive (recording.npz), loadable
// with np.load("recording.npz"). Its arrays, in this member order:
//
//	timestep           float64, shape ()          seconds per step
//	steps              int64, shape ()            number of simulated steps
//	spikes.<pop>       int64, shape [n, 2]        columns (step, neuron), canonical order;
//	                                              one per population, in network order, even if empty
//	<trace>            float64, shape [samples, len(Indices)], one per trace in r.Traces order
//	<trace>.indices    int64, shape [len(Indices)]
//	<trace>.every      int64, shape ()            sampling interval in steps
//
// Each array is the zip member "<name>.npy", as np.savez names them. The
// bytes are deterministic: members are deflated (Go's compress/flate is
// deterministic for a given Go release), every member carries the fixed
// MS-DOS timestamp 1980-01-01 00:00, and the order is the one above. Names
// that collide (a trace called "timestep", two traces "a" and "a.indices")
// are an error.
func (r *Result) WriteNPZ(w io.Writer) error {
	for i, s := range r.Spikes {
		if err := r.checkSpike(s); err != nil {
			return fmt.Errorf("results: writing npz: spike %d: %w", i, err)
		}
	}
	for i := range r.Traces {
		if err := r.Traces[i].check(); err != nil {
			return err
		}
	}

	type member struct {
		name  string
		descr string
		shape []int
		data  func() []byte // built while writing, so only one array is held at a time
	}
	var members []member
	add := func(name, descr string, shape []int, data func() []byte) {
		members = append(members, member{name, descr, shape, data})
	}
	add("timestep", "<f8", []int{}, func() []byte { return float64Bytes([]float64{r.Timestep}) })
	add("steps", "<i8", []int{}, func() []byte { return int64Bytes([]int64{int64(r.Steps)}) })

	// Split the sorted spikes by population in one pass.
	per := make([][]int64, len(r.Populations))
	counts := r.Counts()
	for i, c := range counts {
		per[i] = make([]int64, 0, 2*c)
	}
	for _, s := range r.sortedSpikes() {
		per[s.Pop] = append(per[s.Pop], int64(s.Step), int64(s.Neuron))
	}
	for i, p := range r.Populations {
		add("spikes."+p.Name, "<i8", []int{counts[i], 2}, func() []byte { return int64Bytes(per[i]) })
	}
	for i := range r.Traces {
		t := &r.Traces[i]
		add(t.Name, "<f8", []int{t.Samples(), len(t.Indices)}, func() []byte { return float64Bytes(t.Data) })
		add(t.Name+".indices", "<i8", []int{len(t.Indices)}, func() []byte {
			idx := make([]int64, len(t.Indices))
			for j, v := range t.Indices {
				idx[j] = int64(v)
			}
			return int64Bytes(idx)
		})
		add(t.Name+".every", "<i8", []int{}, func() []byte { return int64Bytes([]int64{int64(t.Every)}) })
	}

	seen := make(map[string]bool, len(members))
	for _, m := range members {
		if m.name == "" || strings.ContainsAny(m.name, "/\\") {
			// A slash would make a directory inside the zip, which np.load
			// lists under a different key.
			return fmt.Errorf("results: writing npz: array name %q is empty or contains a slash", m.name)
		}
		if seen[m.name] {
			return fmt.Errorf("results: writing npz: two arrays named %q (rename the population or trace)", m.name)
		}
		seen[m.name] = true
	}

	zw := zip.NewWriter(w)
	for _, m := range members {
		fh := &zip.FileHeader{
			Name:   m.name + ".npy",
			Method: zip.Deflate,
			// 1980-01-01 00:00:00, the MS-DOS epoch. Modified is left zero so
			// no extended-timestamp field (with the wall clock) is written.
			ModifiedDate: 1<<5 | 1,
			ModifiedTime: 0,
		}
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			return fmt.Errorf("results: writing npz member %s: %w", fh.Name, err)
		}
		if err := writeNPY(fw, m.descr, m.shape, m.data()); err != nil {
			return fmt.Errorf("results: writing npz member %s: %w", fh.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("results: writing npz: %w", err)
	}
	return nil
}
