package target

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// base is the real SpiNNaker 1 family file, so that the fake catalogs below
// start from a complete, valid parent.
func base(t *testing.T) []byte {
	t.Helper()
	b, err := embedded.ReadFile("targets/spinnaker1.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mapFS(t *testing.T, files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{"spinnaker1.json": {Data: base(t)}}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

const child = `{
  "inherits": "spinnaker1",
  "description": "test board",
  "machine": {"board": "T", "layout": "grid", "width": 3, "height": 1, "clock_hz": 150000000},
  "router": {"links": ["E", "W"], "link_bits": 2},
  "limits": {"neurons_per_core": 128},
  "memory": {"sysram": null},
  "energy": {
    "chip.idle_power": {"value": 0.5, "unit": "W", "source": "test", "status": "estimate", "note": "why"},
    "measured.psp": null,
    "board.idle_power": {"value": 1, "unit": "W", "source": "test", "status": "read"}
  }
}`

func TestInheritance(t *testing.T) {
	c := NewCatalog(mapFS(t, map[string]string{"child.json": child}))
	if diff := cmp.Diff([]string{"child"}, c.Names()); diff != "" {
		t.Errorf("Names() hides the abstract parent (-want +got):\n%s", diff)
	}
	tg, err := c.Load("child")
	if err != nil {
		t.Fatal(err)
	}
	parent := spinnaker1Raw(t)
	type view struct {
		Name, Inherits      string
		Abstract            bool
		Kind                Kind
		Board               string
		Chips               int
		ClockHz             int64
		CoresPerChip        int // inherited through a merged object
		Links               []Direction
		NeuronsPerCore      int
		MaxRowLength        int // inherited sibling of an overridden field
		HasSysRAM, HasSDRAM bool
		IdlePower           float64
		HasPSP, HasBoard    bool
		HasRouterPacket     bool
		Notes               []string
	}
	_, sys := tg.MemoryOf(SysRAM)
	_, sd := tg.MemoryOf(SDRAM)
	idle, _ := tg.Coefficient("chip.idle_power")
	_, psp := tg.Coefficient("measured.psp")
	_, board := tg.Coefficient("board.idle_power")
	_, pkt := tg.Coefficient("router.packet")
	got := view{tg.Name, tg.Inherits, tg.Abstract, tg.Kind, tg.Machine.Board, tg.NumChips(), tg.Machine.ClockHz,
		tg.Machine.CoresPerChip, tg.Router.Links, tg.Limits.NeuronsPerCore, tg.Limits.MaxRowLength,
		sys, sd, idle.Value, psp, board, pkt, tg.Notes}
	want := view{
		Name: "child", Inherits: "spinnaker1", Abstract: false, Kind: KindSpiNNaker, Board: "T", Chips: 3,
		ClockHz: 150e6, CoresPerChip: 18,
		Links:          []Direction{East, West}, // arrays are replaced whole
		NeuronsPerCore: 128, MaxRowLength: 256,
		HasSysRAM: false, HasSDRAM: true, // null removes an inherited entry
		IdlePower: 0.5, HasPSP: false, HasBoard: true, HasRouterPacket: true,
		Notes: parent.Notes,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// spinnaker1Raw decodes the abstract base on its own, for comparisons.
func spinnaker1Raw(t *testing.T) Target {
	var tg Target
	if err := strictUnmarshal(base(t), &tg); err != nil {
		t.Fatal(err)
	}
	return tg
}

// A three-level chain resolves child over parent over grandparent, and the
// abstract flag stays with the file that set it.
func TestInheritanceChain(t *testing.T) {
	c := NewCatalog(mapFS(t, map[string]string{
		"mid.json":  `{"inherits": "spinnaker1", "abstract": true, "machine": {"board": "M", "layout": "grid", "width": 2, "height": 2}, "description": "mid"}`,
		"leaf.json": `{"inherits": "mid", "machine": {"width": 1}}`,
	}))
	if diff := cmp.Diff([]string{"leaf"}, c.Names()); diff != "" {
		t.Errorf("Names() (-want +got):\n%s", diff)
	}
	tg, err := c.Load("leaf")
	if err != nil {
		t.Fatal(err)
	}
	got := []any{tg.Machine.Board, tg.NumChips(), tg.Description, tg.Inherits, tg.Abstract}
	if diff := cmp.Diff([]any{"M", 2, "mid", "mid", false}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadErrors(t *testing.T) {
	ok := `{"inherits": "spinnaker1", "description": "d", "machine": {"board": "B", "layout": "grid", "width": 1, "height": 1}}`
	for _, tc := range []struct {
		name  string
		files map[string]string
		load  string
		want  []string // substrings of the error
	}{
		{
			name:  "unknown top-level field",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "descripton": "d"}`},
			load:  "x",
			want:  []string{"x.json", `unknown field "descripton"`, `did you mean "description"?`},
		},
		{
			name:  "unknown nested field",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "machine": {"cores_per_chipp": 3}}`},
			load:  "x",
			want:  []string{"x.json", `unknown field "machine.cores_per_chipp"`, `did you mean "cores_per_chip"?`},
		},
		{
			name:  "unknown field in an energy entry",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "energy": {"a.b": {"valu": 1}}}`},
			load:  "x",
			want:  []string{"x.json", `unknown field "energy.a.b.valu"`, `did you mean "value"?`},
		},
		{
			name:  "unknown field in the parent names the parent",
			files: map[string]string{"p.json": `{"abstract": true, "bogus": 1}`, "x.json": `{"inherits": "p"}`},
			load:  "x",
			want:  []string{"p.json", `unknown field "bogus"`},
		},
		{
			name:  "field case must match",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "Kind": "fpga"}`},
			load:  "x",
			want:  []string{"x.json", `unknown field "Kind"`, `did you mean "kind"?`},
		},
		{
			name:  "bad kind",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "kind": "asic"}`},
			load:  "x",
			want:  []string{"x.json", `invalid kind "asic" (want one of: spinnaker, fpga)`},
		},
		{
			name:  "bad status",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "energy": {"e": {"value": 1, "unit": "W", "source": "s", "status": "guess"}}}`},
			load:  "x",
			want:  []string{"x.json", "energy.e", `invalid status "guess"`},
		},
		{
			name:  "bad memory kind key",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "memory": {"flash": {"scope": "chip", "bytes": 1, "source": "s"}}}`},
			load:  "x",
			want:  []string{"x.json", `invalid memory kind "flash"`},
		},
		{
			name:  "bad link direction",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "router": {"links": ["E", "UP"]}}`},
			load:  "x",
			want:  []string{"x.json", `invalid link direction "UP"`},
		},
		{
			name:  "bad numeric format kind",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "numeric": {"state": {"kind": "float"}}}`},
			load:  "x",
			want:  []string{"x.json", `invalid numeric format kind "float"`},
		},
		{
			name:  "bad key mask",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "router": {"default_key_mask": "fffff800"}}`},
			load:  "x",
			want:  []string{"x.json", `invalid key mask "fffff800"`},
		},
		{
			name:  "wrong type",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "machine": {"width": "two"}}`},
			load:  "x",
			want:  []string{"x.json", "machine.width"},
		},
		{
			name:  "syntax error with line and column",
			files: map[string]string{"x.json": "{\n  \"inherits\": \"spinnaker1\",\n  \"description\": oops\n}"},
			load:  "x",
			want:  []string{"x.json:3:18:", "invalid character"},
		},
		{
			name:  "cycle",
			files: map[string]string{"a.json": `{"inherits": "b"}`, "b.json": `{"inherits": "a"}`},
			load:  "a",
			want:  []string{"b.json", "inheritance cycle a → b → a"},
		},
		{
			name:  "self inheritance",
			files: map[string]string{"a.json": `{"inherits": "a"}`},
			load:  "a",
			want:  []string{"a.json", "inheritance cycle a → a"},
		},
		{
			name:  "unknown parent",
			files: map[string]string{"x.json": `{"inherits": "spinaker1"}`},
			load:  "x",
			want:  []string{"x.json", `inherits unknown target "spinaker1"`, "did you mean spinnaker1?"},
		},
		{
			name:  "unknown target",
			files: map[string]string{"spinn5.json": ok},
			load:  "spin5",
			want:  []string{`unknown target "spin5" (known: spinn5)`, "did you mean spinn5?"},
		},
		{
			name:  "abstract target",
			files: map[string]string{"spinn5.json": ok},
			load:  "spinnaker1",
			want:  []string{"spinnaker1 is abstract", "spinn5"},
		},
		{
			name:  "name differs from file",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "name": "y"}`},
			load:  "x",
			want:  []string{"x.json", `name "y" differs from the file name`},
		},
		{
			name:  "validation names the field",
			files: map[string]string{"x.json": `{"inherits": "spinnaker1", "description": "d", "machine": {"board": "B", "layout": "grid", "width": 1, "height": 1, "cores_per_chip": 0}}`},
			load:  "x",
			want:  []string{"target x is invalid", "machine.cores_per_chip: must be positive", "router.core_bits: must equal machine.cores_per_chip", "x.json ← spinnaker1.json"},
		},
		{
			name:  "ring buffer bound",
			files: map[string]string{"x.json": strings.Replace(ok, `"description"`, `"limits": {"delay_slots": 64}, "description"`, 1)},
			load:  "x",
			want:  []string{"delay_slots × synapse_types × neurons_per_core = 64×2×256 = 32768 exceeds ring_buffer_entries 16384"},
		},
		{
			name:  "delay slots power of two",
			files: map[string]string{"x.json": strings.Replace(ok, `"description"`, `"limits": {"delay_slots": 12}, "description"`, 1)},
			load:  "x",
			want:  []string{"limits.delay_slots: must be a power of two"},
		},
		{
			name:  "max delay slots",
			files: map[string]string{"x.json": strings.Replace(ok, `"description"`, `"limits": {"max_delay_slots": 8}, "description"`, 1)},
			load:  "x",
			want:  []string{"limits.max_delay_slots: must be a power of two of at least delay_slots (16), got 8"},
		},
		{
			name:  "max delay slots widen the word",
			files: map[string]string{"x.json": strings.Replace(ok, `"description"`, `"limits": {"max_delay_slots": 1024}, "description"`, 1)},
			load:  "x",
			want:  []string{"a synaptic word needs 35 bits (weight 16 + delay 10 + type 1 + index 8)"},
		},
		{
			name:  "energy entry without source",
			files: map[string]string{"x.json": strings.Replace(ok, `"description"`, `"energy": {"e": {"value": 1, "unit": "J", "per": "x", "status": "read"}}, "description"`, 1)},
			load:  "x",
			want:  []string{"energy.e.source: is missing"},
		},
		{
			name:  "estimate without rationale",
			files: map[string]string{"x.json": strings.Replace(ok, `"description"`, `"energy": {"e": {"value": 1, "unit": "W", "source": "s", "status": "estimate"}}, "description"`, 1)},
			load:  "x",
			want:  []string{"energy.e.note: an estimate needs a note"},
		},
		{
			name:  "URAM cannot be bitstream-initialised",
			files: map[string]string{"x.json": strings.Replace(ok, `"description"`, `"memory": {"uram288": {"scope": "block", "bytes": 36864, "bitstream_init": true, "source": "s"}}, "description"`, 1)},
			load:  "x",
			want:  []string{"memory.uram288.bitstream_init"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCatalog(mapFS(t, tc.files)).Load(tc.load)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidationErrorType(t *testing.T) {
	tg, err := Load("spinn5")
	if err != nil {
		t.Fatal(err)
	}
	tg.Limits.DelaySlots = 0
	tg.Energy = nil
	var ve *ValidationError
	if !errors.As(tg.Validate(), &ve) {
		t.Fatalf("Validate() = %v, want a *ValidationError", tg.Validate())
	}
	want := []string{"limits.delay_slots: must be positive, got 0", "energy: is missing"}
	if diff := cmp.Diff(want, ve.Problems); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBuiltinUnknownName(t *testing.T) {
	_, err := Load("zcu012")
	if err == nil {
		t.Fatal("no error")
	}
	want := `unknown target "zcu012" (known: spinn3, spinn5, spinn5x3, ultra96, zcu102, zcu104); did you mean zcu102?`
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestClosest(t *testing.T) {
	names := []string{"spinn3", "spinn5", "ultra96", "zcu102", "zcu104"}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"spin5", "spinn5", true},
		{"SPINN5", "", false}, // too far: case matters in file names
		{"zcu104", "", false}, // exact: nothing to suggest
		{"ultra69", "ultra96", true},
		{"loihi", "", false},
	} {
		got, ok := closest(tc.in, names)
		if got != tc.want || ok != tc.ok {
			t.Errorf("closest(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzLoad feeds arbitrary bytes as a child of the real SpiNNaker base: the
// loader must return an error or a target that validates and round-trips,
// never panic.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(child))
	f.Add([]byte(`{"inherits": "spinnaker1", "energy": {"x": null}}`))
	f.Add([]byte(`{"inherits": "x"}`))
	f.Add([]byte(`[]`))
	b, err := embedded.ReadFile("targets/spinn5.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := mapFS(t, nil)
		fsys["x.json"] = &fstest.MapFile{Data: data}
		tg, err := NewCatalog(fsys).Load("x")
		if err != nil {
			return
		}
		if err := tg.Validate(); err != nil {
			t.Fatalf("Load returned an invalid target: %v", err)
		}
		out, err := tg.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Target
		if err := strictUnmarshal(out, &back); err != nil {
			t.Fatalf("JSON() does not decode: %v", err)
		}
		var buf strings.Builder
		if err := tg.WriteSummary(&buf); err != nil {
			t.Fatal(err)
		}
	})
}
