package results

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"github.com/google/go-cmp/cmp"
)

// small is the 5×4 array gen_npy.py writes in several encodings.
var small = []Spike{{0, 1, 0}, {0, 0, 2}, {0, 3, 2}, {0, 2, 4}}

func TestReadSpikesNPY(t *testing.T) {
	tests := []struct {
		file           string
		steps, neurons int
		want           []Spike // nil: only the count is checked
		count          int
		wantErr        string
	}{
		{file: "spikes_bool.npy", steps: 5, neurons: 4, want: small},
		{file: "spikes_u1_fortran.npy", steps: 5, neurons: 4, want: small},
		{file: "spikes_f8_bigendian.npy", steps: 5, neurons: 4, want: small},
		{file: "spikes_f2.npy", steps: 5, neurons: 4, want: small},
		{file: "spikes_i2_v2.npy", steps: 5, neurons: 4, want: small},
		{file: "snntorch_activity_noDelay_noBias_subtract.npy", steps: 256, neurons: 40, count: 118},
		{file: "s2_activity_noDelay_noBias_subtract.npy", steps: 256, neurons: 40, count: 119},
		{file: "xylo_activity_noDelay_noBias_subtract.npy", wantErr: "element [65, 3] is 2; a spike array holds only 0 and 1"},
		{file: "bad_value.npy", wantErr: "element [3, 1] is -1"},
		{file: "bad_rank1.npy", wantErr: "shape [3] (rank 1); want rank 2"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			steps, neurons, got, err := ReadSpikesNPY(f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if steps != tt.steps || neurons != tt.neurons {
				t.Errorf("shape = [%d, %d], want [%d, %d]", steps, neurons, tt.steps, tt.neurons)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("spikes (-want +got):\n%s", diff)
				}
			} else if len(got) != tt.count {
				t.Errorf("%d spikes, want %d", len(got), tt.count)
			}
		})
	}
}

// TestReadSpikesNPYAgainstNpyio checks the reader against npyio's on a
// real snnTorch file: same shape, and a spike exactly where the array holds 1.
func TestReadSpikesNPYAgainstNpyio(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "snntorch_activity_noDelay_noBias_subtract.npy"))
	if err != nil {
		t.Fatal(err)
	}
	nr, err := npyio.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var flat []float32
	if err := nr.Read(&flat); err != nil {
		t.Fatal(err)
	}
	neurons := nr.Header.Descr.Shape[1]
	var want []Spike
	for i, v := range flat {
		if v != 0 {
			want = append(want, Spike{Neuron: int32(i % neurons), Step: int32(i / neurons)})
		}
	}
	_, _, got, err := ReadSpikesNPY(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spikes (-want +got):\n%s", diff)
	}
}

// npyBytes builds a .npy by hand, for malformed-input cases.
func npyBytes(major byte, dict string, data []byte) []byte {
	b := append([]byte("\x93NUMPY"), major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)))
	}
	b = append(b, dict...)
	return append(b, data...)
}

func TestReadSpikesNPYMalformed(t *testing.T) {
	okDict := "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }\n"
	tests := []struct {
		name    string
		in      []byte
		wantErr string
		want    []Spike
	}{
		{name: "empty", in: nil, wantErr: "reading magic: unexpected EOF"},
		{name: "not npy", in: []byte("PK\x03\x04 this is a zip"), wantErr: "not a .npy file"},
		{name: "version 9", in: []byte("\x93NUMPY\x09\x00\x00\x00"), wantErr: "unsupported .npy format version 9.0"},
		{name: "short header", in: []byte("\x93NUMPY\x01\x00\x40\x00{'descr"), wantErr: "reading 64-byte header: unexpected EOF"},
		{name: "huge header", in: []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), wantErr: "implausibly long"},
		{name: "not a dict", in: npyBytes(1, "['descr']\n", nil), wantErr: "is not a dict"},
		{name: "structured", in: npyBytes(1, "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1, 1), }\n", nil), wantErr: "structured arrays are not supported"},
		{name: "missing key", in: npyBytes(1, "{'descr': '<i4', 'shape': (1, 1), }\n", nil), wantErr: "want keys descr, fortran_order and shape"},
		{name: "extra key", in: npyBytes(1, "{'descr': '<i4', 'x': 1, 'fortran_order': False, 'shape': (1, 1)}\n", nil), wantErr: `unexpected key "x"`},
		{name: "bad order", in: npyBytes(1, "{'descr': '<i4', 'fortran_order': 0, 'shape': (1, 1)}\n", nil), wantErr: "fortran_order is not True or False"},
		{name: "negative shape", in: npyBytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (-1, 1)}\n", nil), wantErr: "shape is not a tuple"},
		{name: "trailing text", in: npyBytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1)} x\n", nil), wantErr: "text after the dict"},
		{name: "complex dtype", in: npyBytes(1, "{'descr': '<c16', 'fortran_order': False, 'shape': (1, 1)}\n", nil), wantErr: `unsupported dtype "<c16"`},
		{name: "string dtype", in: npyBytes(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (1, 1)}\n", nil), wantErr: `unsupported dtype "<U3"`},
		{name: "too big", in: npyBytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3000000000, 1)}\n", nil), wantErr: "too large"},
		{name: "truncated data", in: npyBytes(1, okDict, []byte{0, 1, 0}), wantErr: "ends after 0 elements: unexpected EOF"},
		{name: "extra data", in: npyBytes(1, okDict, []byte{0, 1, 0, 0, 7}), wantErr: "data continues past the end"},
		{name: "nan", in: npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)}\n", []byte{0, 0, 0xc0, 0x7f}), wantErr: "element [0, 0] is NaN"},
		{name: "python 2 longs, double quotes, no trailing comma", in: npyBytes(1, `{"descr": "|u1", "fortran_order": False, "shape": (2L, 2L)}`+"\n", []byte{0, 1, 1, 0}),
			want: []Spike{{0, 1, 0}, {0, 0, 1}}},
		{name: "zero steps", in: npyBytes(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (0, 7), }\n", nil)},
		{name: "no byte order char", in: npyBytes(1, "{'descr': 'u1', 'fortran_order': False, 'shape': (1, 2), }\n", []byte{1, 0}),
			want: []Spike{{0, 0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, got, err := ReadSpikesNPY(bytes.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("spikes (-want +got):\n%s", diff)
			}
		})
	}
}

// encodeSpikesNPY writes spikes as a dense uint8 [steps, neurons] .npy with
// the package's writer.
func encodeSpikesNPY(steps, neurons int, spikes []Spike) []byte {
	data := make([]byte, steps*neurons)
	for _, s := range spikes {
		data[int(s.Step)*neurons+int(s.Neuron)] = 1
	}
	var b bytes.Buffer
	if err := writeNPY(&b, "|u1", []int{steps, neurons}, data); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func FuzzReadSpikesNPY(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.npy"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		// The 40-80 kB platform files slow mutation to a crawl and add
		// nothing the small ones lack; the unit tests read them.
		if len(b) <= 4096 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		steps, neurons, spikes, err := ReadSpikesNPY(bytes.NewReader(data))
		if err != nil {
			return
		}
		if int64(steps)*int64(neurons) > 1<<20 {
			return // too big to re-encode densely in a fuzz iteration
		}
		for _, s := range spikes {
			if s.Step < 0 || int(s.Step) >= steps || s.Neuron < 0 || int(s.Neuron) >= neurons {
				t.Fatalf("spike %+v outside shape [%d, %d]", s, steps, neurons)
			}
		}
		enc := encodeSpikesNPY(steps, neurons, spikes)
		steps2, neurons2, back, err := ReadSpikesNPY(bytes.NewReader(enc))
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if steps2 != steps || neurons2 != neurons {
			t.Fatalf("shape [%d, %d] became [%d, %d]", steps, neurons, steps2, neurons2)
		}
		if diff := cmp.Diff(spikes, back); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}
