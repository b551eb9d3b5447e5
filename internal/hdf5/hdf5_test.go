package hdf5

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// value is the JSON form gen.py writes for a dataset or attribute.
type value struct {
	Kind   string `json:"kind"`
	Shape  []int  `json:"shape"`
	Values []any  `json:"values"`
}

type expectation struct {
	Groups   map[string][]string         `json:"groups"`
	Datasets map[string]value            `json:"datasets"`
	Attrs    map[string]map[string]value `json:"attrs"`
}

// loadExpectation reads NAME.json, typing each number by the value's kind
// so that int64 and uint64 extremes survive.
func loadExpectation(t *testing.T, path string) expectation {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var e expectation
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	fix := func(v value) value {
		for i, x := range v.Values {
			n, ok := x.(json.Number)
			if !ok {
				continue
			}
			var err error
			switch v.Kind {
			case "float":
				v.Values[i], err = strconv.ParseFloat(string(n), 64)
			case "uint":
				v.Values[i], err = strconv.ParseUint(string(n), 10, 64)
			default:
				v.Values[i], err = strconv.ParseInt(string(n), 10, 64)
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		return v
	}
	for k, v := range e.Datasets {
		e.Datasets[k] = fix(v)
	}
	for _, as := range e.Attrs {
		for k, v := range as {
			as[k] = fix(v)
		}
	}
	return e
}

// describe reads a value the way gen.py describes it.
func describe(t Datatype, shape []int, get func() (any, error)) (value, error) {
	if shape == nil {
		return value{Kind: "null", Values: []any{}}, nil
	}
	v := value{Shape: shape, Kind: t.scalar().Kind.String(), Values: []any{}}
	x, err := get()
	if err != nil {
		return v, err
	}
	add := func(y any) { v.Values = append(v.Values, y) }
	switch s := x.(type) {
	case []float64:
		for _, y := range s {
			add(y)
		}
	case []int64:
		for _, y := range s {
			add(y)
		}
	case []uint64:
		for _, y := range s {
			add(y)
		}
	case []string:
		for _, y := range s {
			add(y)
		}
	case []bool:
		for _, y := range s {
			add(y)
		}
	default:
		add(s)
	}
	return v, nil
}

func readAll(t *testing.T, f *File, e expectation) expectation {
	t.Helper()
	got := expectation{Groups: map[string][]string{}, Datasets: map[string]value{}, Attrs: map[string]map[string]value{}}
	root := f.Root()
	for p := range e.Groups {
		g, err := root.Group(p)
		if err != nil {
			t.Errorf("Group(%q): %v", p, err)
			continue
		}
		m, err := g.Members()
		if err != nil {
			t.Errorf("%s: Members: %v", p, err)
		}
		got.Groups[p] = m
	}
	for p := range e.Datasets {
		d, err := root.Dataset(p)
		if err != nil {
			t.Errorf("Dataset(%q): %v", p, err)
			continue
		}
		v, err := describe(d.Type(), d.Shape(), d.Value)
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		got.Datasets[p] = v
	}
	for p := range e.Attrs {
		obj, err := root.Get(p)
		if err != nil {
			t.Errorf("Get(%q): %v", p, err)
			continue
		}
		as, err := obj.Attrs()
		if err != nil {
			t.Errorf("%s: Attrs: %v", p, err)
			continue
		}
		got.Attrs[p] = map[string]value{}
		for _, a := range as {
			v, err := describe(*a.Type, a.Shape, a.Value)
			if err != nil {
				t.Errorf("%s attribute %s: %v", p, a.Name, err)
			}
			got.Attrs[p][a.Name] = v
		}
	}
	return got
}

func openTestFile(t testing.TB, path string) *File {
	t.Helper()
	f, fh, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	return f
}

// checkGenerated compares every NAME.h5 in dir with NAME.json.
func checkGenerated(t *testing.T, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.h5"))
	if len(files) == 0 {
		t.Fatalf("no .h5 files in %s", dir)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := loadExpectation(t, strings.TrimSuffix(path, ".h5")+".json")
			f := openTestFile(t, path)
			got := readAll(t, f, want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			// Walk reaches every object h5py's visititems reports.
			walked := map[string]bool{}
			err := f.Root().Walk(func(obj Object) error {
				walked[obj.Path()] = true
				if _, err := obj.Attrs(); err != nil {
					return err
				}
				if d, ok := obj.(*Dataset); ok {
					if _, err := d.Raw(); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("Walk: %v", err)
			}
			for p := range want.Datasets {
				if !walked[p] {
					t.Errorf("Walk did not visit %s", p)
				}
			}
			for p := range want.Groups {
				if !walked[p] {
					t.Errorf("Walk did not visit %s", p)
				}
			}
		})
	}
}

// TestGenerated reads the committed files written by testdata/gen.py.
func TestGenerated(t *testing.T) { checkGenerated(t, "testdata") }

// TestRegenerate reruns gen.py (when h5py is available) and checks the fresh
// files, so the reader is tested against the installed HDF5 library too.
func TestRegenerate(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("skipping: /usr/bin/python3 not found")
	}
	if out, err := exec.Command(py, "-c", "import h5py").CombinedOutput(); err != nil {
		t.Skipf("skipping: h5py not importable: %v: %s", err, out)
	}
	dir := t.TempDir()
	if out, err := exec.Command(py, "testdata/gen.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("gen.py: %v\n%s", err, out)
	}
	checkGenerated(t, dir)
}

func TestSuperblockVersions(t *testing.T) {
	for _, tc := range []struct {
		file string
		want int
	}{
		{"v0_types.h5", 0},
		{"v108.h5", 2},
		{"latest_types.h5", 3},
	} {
		f := openTestFile(t, filepath.Join("testdata", tc.file))
		if got := f.SuperblockVersion(); got != tc.want {
			t.Errorf("%s: superblock version %d, want %d", tc.file, got, tc.want)
		}
	}
}

func TestLinksAndTypes(t *testing.T) {
	for _, file := range []string{"v0_groups.h5", "latest_groups.h5"} {
		t.Run(file, func(t *testing.T) {
			f := openTestFile(t, filepath.Join("testdata", file))
			root := f.Root()
			// A soft link resolves and keeps the path it was reached by.
			g, err := root.Group("soft")
			if err != nil {
				t.Fatal(err)
			}
			m, err := g.Members()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"deepest"}, m); diff != "" {
				t.Errorf("soft link members (-want +got):\n%s", diff)
			}
			d, err := root.Dataset("/soft/deepest/leaf")
			if err != nil {
				t.Fatal(err)
			}
			if d.Path() != "/soft/deepest/leaf" || d.Name() != "leaf" {
				t.Errorf("path %q name %q", d.Path(), d.Name())
			}
			// Relative paths and errors that name the object.
			_, err = g.Dataset("deepest/nope")
			var e *Error
			if !errors.As(err, &e) || e.Path != "/soft/deepest/nope" {
				t.Errorf("missing dataset: error %v, want one naming /soft/deepest/nope", err)
			}
			if _, err := root.Dataset("nested"); err == nil {
				t.Error("Dataset on a group: no error")
			}
			if _, err := root.Group("target"); err == nil {
				t.Error("Group on a dataset: no error")
			}
		})
	}
	f := openTestFile(t, "testdata/v0_types.h5")
	for _, tc := range []struct {
		path string
		kind Kind
		str  string
	}{
		{"/types/bool", Bool, "bool(int8)"},
		{"/types/enum", Enum, "enum(int16)"},
		{"/types/vstr", String, "vlen string"},
		{"/types/fstr", String, "string[5]"},
		{"/types/array_f4", Array, "array[3] of float32"},
	} {
		d, err := f.Root().Dataset(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		typ := d.Type()
		if typ.Kind != tc.kind || typ.String() != tc.str {
			t.Errorf("%s: kind %v %q, want %v %q", tc.path, typ.Kind, typ.String(), tc.kind, tc.str)
		}
	}
	d, _ := f.Root().Dataset("/types/enum")
	members := map[string]int64{}
	for i, n := range d.Type().EnumNames {
		members[n] = d.Type().EnumValues[i]
	}
	if diff := cmp.Diff(map[string]int64{"RED": 0, "GREEN": 1, "BLUE": 42}, members); diff != "" {
		t.Errorf("enum names (-want +got):\n%s", diff)
	}
	// Conversions between kinds.
	ds, _ := f.Root().Dataset("/types/bool")
	fl, err := ds.Float64s()
	if err != nil || !slices.Equal(fl, []float64{1, 0, 1}) {
		t.Errorf("bool as Float64s: %v %v", fl, err)
	}
	if _, err := ds.Strings(); err == nil {
		t.Error("bool as Strings: no error")
	}
}

// TestH5dump compares values with the HDF5 tools' own reading.
func TestH5dump(t *testing.T) {
	h5dump, err := exec.LookPath("h5dump")
	if err != nil {
		t.Skip("skipping: h5dump not found (Debian package hdf5-tools)")
	}
	for _, tc := range []struct{ file, path string }{
		{"testdata/v0_layout_a.h5", "/layout/chunked_2d"},
		{"testdata/latest_layout_b.h5", "/layout/unlimited_2d_gz"},
		{"testdata/latest_layout_b.h5", "/layout/bigger_max"},
		{"testdata/v0_num.h5", "/types/i16be"},
		{"testdata/nir/lif_norse.nir", "/node/nodes/1/tau"},
	} {
		out, err := exec.Command(h5dump, "-d", tc.path, "-y", "-w", "0", "-m", "%.17g", tc.file).Output()
		if err != nil {
			t.Fatalf("h5dump %s %s: %v", tc.file, tc.path, err)
		}
		// The values lie between "DATA {" and the closing brace.
		s := string(out)
		i := strings.Index(s, "DATA {")
		j := strings.LastIndex(s, "}\n}")
		if i < 0 || j < i {
			t.Fatalf("unexpected h5dump output:\n%s", s)
		}
		var want []float64
		for _, field := range strings.FieldsFunc(s[i+len("DATA {"):j], func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '}' }) {
			v, err := strconv.ParseFloat(field, 64)
			if err != nil {
				t.Fatalf("h5dump value %q: %v", field, err)
			}
			want = append(want, v)
		}
		f := openTestFile(t, tc.file)
		d, err := f.Root().Dataset(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Float64s()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s (-h5dump +got):\n%s", tc.file, tc.path, diff)
		}
	}
}

func ExampleFile_Root() {
	f, fh, err := OpenFile("testdata/v108.h5")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fh.Close()
	d, err := f.Root().Dataset("g/x")
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := d.Float64s()
	fmt.Println(d.Shape(), d.Type().String(), v, err)
	// Output: [2] float64be [1 2] <nil>
}

// TestMalformed checks that damaged files give an *Error, not a panic.
func TestMalformed(t *testing.T) {
	good, err := os.ReadFile("testdata/nir/lif_norse.nir")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not HDF5", []byte("this is not an HDF5 file, just some text padding it out")},
		{"signature only", good[:8]},
		{"truncated superblock", good[:40]},
		{"truncated at 1/3", good[:len(good)/3]},
		{"truncated at 2/3", good[:2*len(good)/3]},
		{"zeroed middle", slices.Concat(good[:2000], make([]byte, 4000), good[6000:])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Open(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err == nil {
				_, err = walkAll(f)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got error %v (%T), want *Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), "hdf5: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestReadLimit(t *testing.T) {
	f := openTestFile(t, "testdata/v0_layout_a.h5")
	f.MaxReadBytes = 100
	d, err := f.Root().Dataset("/layout/gzip")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Float64s()
	var e *Error
	if !errors.As(err, &e) || e.Path != "/layout/gzip" || !strings.Contains(e.Msg, "read limit") {
		t.Errorf("got %v, want a read-limit error naming /layout/gzip", err)
	}
}
