package spinnaker

import (
	"bytes"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/somahw/soma/internal/golden"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// goldens are the models whose images are kept under testdata. cuba's
// full image is over 3 MB (its synaptic matrix), so the golden is of a
// tenth of it; TestRoundTrip covers the full network without a golden.
var goldens = []struct{ name, model string }{
	{"cuba_small", "testdata/cuba_small.yaml"},
	{"stdp", "../../examples/stdp.yaml"},
	{"synfire", "../../examples/synfire.yaml"},
	{"tiny", "testdata/tiny.yaml"},
}

var compiled sync.Map // model|target → *program.Program

// compile compiles a model for a target once per test binary; tests must
// not modify the program they get (clone it with program.Decode/Encode).
func compile(t testing.TB, model, targetName string) *program.Program {
	t.Helper()
	key := model + "|" + targetName
	if p, ok := compiled.Load(key); ok {
		return p.(*program.Program)
	}
	net, err := ir.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	p := compileNet(t, net, targetName)
	compiled.Store(key, p)
	return p
}

func compileNet(t testing.TB, net *ir.Network, targetName string) *program.Program {
	t.Helper()
	tg, err := target.Load(targetName)
	if err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(net, tg, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Program
}

func encode(t testing.TB, p *program.Program) []byte {
	t.Helper()
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameProgram compares programs as cmp.Diff with cmpopts.EquateEmpty
// does. cmp takes seconds over cuba's 700,000 synaptic words, so equal
// program.Encode bytes (which, like EquateEmpty, do not tell nil from
// empty slices) are taken as equality first, and cmp only explains a
// difference.
func sameProgram(t *testing.T, want, got *program.Program) {
	t.Helper()
	a, errA := program.Encode(want)
	b, errB := program.Encode(got)
	if errA == nil && errB == nil && bytes.Equal(a, b) {
		return
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("decoded program differs (-want +got):\n%s", diff)
	}
}

// firstDiff is the first offset where two byte strings differ.
func firstDiff(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

func TestGolden(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			p := compile(t, g.model, "spinn5")
			b := encode(t, p)
			path := filepath.Join("testdata", g.name+".golden")
			if golden.Update() {
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./backends/spinnaker -update to write it)", err)
			}
			if len(want) > 2<<20 {
				t.Errorf("golden image is %d bytes; keep goldens under 2 MB", len(want))
			}
			if !bytes.Equal(want, b) {
				t.Errorf("image differs from %s at byte %d (%d vs %d bytes); if the compiler or the format changed on purpose, run go test ./backends/spinnaker -update",
					path, firstDiff(want, b), len(want), len(b))
			}
			got, err := Decode(want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(p, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Decode(golden) (-compiled +decoded):\n%s", diff)
			}
			if again := encode(t, got); !bytes.Equal(again, want) {
				t.Errorf("Encode(Decode(golden)) differs at byte %d", firstDiff(want, again))
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	cases := []struct{ name, model, target string }{
		{"cuba", "../../examples/cuba.yaml", "spinn5"},
		{"cuba triad", "../../examples/cuba.yaml", "spinn5x3"},
		{"stdp triad", "../../examples/stdp.yaml", "spinn5x3"},
		{"synfire triad", "../../examples/synfire.yaml", "spinn5x3"},
		{"tiny", "testdata/tiny.yaml", "spinn5"},
		{"tiny spinn3", "testdata/tiny.yaml", "spinn3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := compile(t, c.model, c.target)
			b := encode(t, p)
			if b2 := encode(t, p); !bytes.Equal(b, b2) {
				t.Fatalf("Encode is not deterministic: differs at byte %d", firstDiff(b, b2))
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			sameProgram(t, p, got)
			if again := encode(t, got); !bytes.Equal(again, b) {
				t.Errorf("Encode(Decode(b)) differs at byte %d", firstDiff(b, again))
			}
			tg, _ := target.Load(c.target)
			if err := got.Verify(program.NewMachine(tg)); err != nil {
				t.Errorf("decoded program does not verify: %v", err)
			}
		})
	}
}

// TestEveryRegion checks that the tiny model gives every region to some
// core, so the round trips above cover all of the format.
func TestEveryRegion(t *testing.T) {
	im, err := parse(encode(t, compile(t, "testdata/tiny.yaml", "spinn5")), false)
	if err != nil {
		t.Fatal(err)
	}
	var seen [NumRegions]bool
	weights := false
	for i, rec := range im.coreRecs {
		for r, ri := range rec.regions {
			seen[r] = seen[r] || ri.Words > 0
		}
		weights = weights || len(im.cores[i].Record.Weights) > 0
	}
	for r, ok := range seen {
		if !ok {
			t.Errorf("no core of testdata/tiny.yaml has a %s region", Region(r))
		}
	}
	if !weights {
		t.Errorf("no core of testdata/tiny.yaml has a weight probe")
	}
}

// TestProgramFields fails when program gains a field, so that whoever adds
// it also gives it a place in the image (encode.go, decode.go and
// docs/image-format.md) and adds it here.
func TestProgramFields(t *testing.T) {
	want := map[string][]string{
		"Program":     {"Network", "Target", "Kind", "Timestep", "Steps", "Seed", "Numeric", "Populations", "Cores", "Chips"},
		"Numeric":     {"StateFrac", "StateBits", "DecayFrac", "WeightBits", "RingBits"},
		"Population":  {"Name", "Size", "Model", "Source", "Cores"},
		"Core":        {"CoreID", "Kind", "Pop", "Lo", "N", "Model", "Key", "Mask", "Layout", "Neurons", "Geometry", "WeightShift", "PopTable", "Synapses", "Plastic", "Spikes", "Delay", "Record"},
		"CoreID":      {"X", "Y", "P"},
		"Field":       {"Name", "Format"},
		"Geometry":    {"DelayBits", "TypeBits", "IndexBits", "SynapseTypes"},
		"PopEntry":    {"Key", "Mask", "Start", "Stride", "Rows", "Plastic"},
		"STDP":        {"TauPlusDecay", "TauMinusDecay", "APlus", "AMinus", "Multiplicative", "WMin", "WMax"},
		"DelayConfig": {"SourceKey", "SourceMask", "Slots", "Stages", "Send"},
		"Record":      {"Spikes", "Vars", "Weights"},
		"RecordVar":   {"Field", "Every", "Indices"},
		"WeightProbe": {"Projection", "Every", "Synapses", "Words"},
		"Chip":        {"X", "Y", "Routes"},
		"Route":       {"Key", "Mask", "Dest"},
	}
	got := map[string][]string{}
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || ty.PkgPath() != reflect.TypeFor[program.Program]().PkgPath() {
			return
		}
		if _, ok := got[ty.Name()]; ok {
			return
		}
		got[ty.Name()] = []string{}
		for i := range ty.NumField() {
			got[ty.Name()] = append(got[ty.Name()], ty.Field(i).Name)
			walk(ty.Field(i).Type)
		}
	}
	walk(reflect.TypeFor[program.Program]())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("program's types changed; the image format must follow (-known to the image +in package program):\n%s", diff)
	}
}

// TestEmulatorSameSpikes runs the emulator on a program and on its image's
// decoding: the image must carry everything the run depends on.
func TestEmulatorSameSpikes(t *testing.T) {
	cases := []struct {
		name, model string
		duration    float64
	}{
		{"cuba", "../../examples/cuba.yaml", 0.1},
		{"synfire", "../../examples/synfire.yaml", 0},
		{"tiny", "testdata/tiny.yaml", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			net, err := ir.ReadFile(c.model)
			if err != nil {
				t.Fatal(err)
			}
			if c.duration > 0 {
				net.Run.Duration = c.duration
			}
			p := compileNet(t, net, "spinn5")
			got, err := Decode(encode(t, p))
			if err != nil {
				t.Fatal(err)
			}
			tg, _ := target.Load("spinn5")
			run := func(p *program.Program) any {
				e, err := emu.New(p, program.NewMachine(tg), emu.Options{})
				if err != nil {
					t.Fatal(err)
				}
				res, _, err := e.Run()
				if err != nil {
					t.Fatal(err)
				}
				return res.Spikes
			}
			want, have := run(p), run(got)
			if !reflect.DeepEqual(want, have) {
				t.Errorf("spikes differ between the program and its image's decoding")
			}
			if reflect.ValueOf(want).Len() == 0 && c.name != "tiny" {
				t.Errorf("no spikes: the comparison proves little")
			}
		})
	}
}

// reseal rewrites an image's checksums (router tables, regions, CRC) after
// a test or the fuzzer changed its bytes, so that the decoder's other
// checks get to see the change. It tolerates any bytes.
func reseal(b []byte) []byte {
	b = slices.Clone(b)
	if len(b) < headerBytes+trailerBytes {
		return b
	}
	n := len(b) - trailerBytes
	nChips, nCores := int(le.Uint32(b[hNChips:])), int(le.Uint32(b[hNCores:]))
	sumAt := func(ptr, words uint32) (uint32, bool) {
		if uint64(ptr)+4*uint64(words) > uint64(n) {
			return 0, false
		}
		var s uint32
		for i := range words {
			s += le.Uint32(b[ptr+4*i:])
		}
		return s, true
	}
	for i := 0; i < nChips && headerBytes+chipRecBytes*(i+1) <= n; i++ {
		at := headerBytes + chipRecBytes*i
		if s, ok := sumAt(le.Uint32(b[at+8:]), 3*le.Uint32(b[at+4:])); ok {
			le.PutUint32(b[at+12:], s)
		}
	}
	table := headerBytes + chipRecBytes*nChips
	for i := 0; i < nCores && nChips < n && table+coreRecBytes*(i+1) <= n; i++ {
		for r := range int(NumRegions) {
			slot := table + coreRecBytes*i + coreFixed + regionRec*r
			if s, ok := sumAt(le.Uint32(b[slot:]), le.Uint32(b[slot+8:])); ok && le.Uint32(b[slot+8:]) > 0 {
				le.PutUint32(b[slot+4:], s)
			}
		}
	}
	le.PutUint32(b[n:], crc32.ChecksumIEEE(b[:n]))
	return b
}

// TestDecodeErrors breaks a good image in one way each and checks that the
// decoder says what and where.
func TestDecodeErrors(t *testing.T) {
	good := encode(t, compile(t, "testdata/tiny.yaml", "spinn5"))
	im, err := parse(good, false)
	if err != nil {
		t.Fatal(err)
	}
	core0 := im.coreRecs[0].at
	c0 := im.cores[0].CoreID.String()
	var synCore int // a core with a synaptic matrix
	for i, r := range im.coreRecs {
		if r.regions[RegionSynapses].Words > 0 {
			synCore = i
			break
		}
	}
	syn := im.coreRecs[synCore].regions[RegionSynapses]
	synID := im.cores[synCore].CoreID.String()
	sys := im.coreRecs[0].regions[RegionSystem]
	put := func(b []byte, off int, v uint32) []byte { le.PutUint32(b[off:], v); return b }
	cases := []struct {
		name  string
		edit  func(b []byte) []byte
		seal  bool
		wants []string
	}{
		{"empty", func([]byte) []byte { return nil }, false, []string{"truncated"}},
		{"truncated", func(b []byte) []byte { return b[:len(b)-100] }, false, []string{"truncated", "byte 16"}},
		{"oversized", func(b []byte) []byte { return append(b, 0, 0, 0, 0) }, false, []string{"4 bytes too many"}},
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, false, []string{"magic", "byte 0"}},
		{"version", func(b []byte) []byte { return put(b, hVersion, 9) }, false, []string{"version 9", "byte 8"}},
		{"crc", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, false, []string{"CRC-32", "corrupt"}},
		{"region checksum", func(b []byte) []byte {
			b[syn.Ptr+4] ^= 0x10
			le.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
			return b
		}, false, []string{"core " + synID, "region synapses", "checksum"}},
		{"system region disagrees", func(b []byte) []byte { return put(b, int(sys.Ptr)+12, 7) }, true,
			[]string{"core " + c0, "region system", "steps is 7"}},
		{"region pointer", func(b []byte) []byte { return put(b, core0+coreFixed, 4) }, true,
			[]string{"core table", "core " + c0, "region system at byte 4"}},
		{"region too long", func(b []byte) []byte {
			return put(b, im.coreRecs[len(im.coreRecs)-1].at+coreFixed+8, 1<<30)
		}, true, []string{"runs past"}},
		{"population index", func(b []byte) []byte { return put(b, core0+4, 99) }, true,
			[]string{"core " + c0, "population 99"}},
		{"kind", func(b []byte) []byte { b[core0+3] = 7; return b }, true, []string{"core " + c0, "kind 7"}},
		{"cores unsorted", func(b []byte) []byte { b[core0+coreRecBytes+2] = 0; return b }, true, []string{"not sorted"}},
		{"ds magic", func(b []byte) []byte { return put(b, core0+56, 0) }, true, []string{"core " + c0, "magic"}},
		{"chip outside", func(b []byte) []byte { b[headerBytes] = 40; return b }, true, []string{"chip 40,", "outside"}},
		{"huge chip count", func(b []byte) []byte { return put(b, hNChips, 1<<31) }, true, []string{"chip"}},
		{"huge core count", func(b []byte) []byte { return put(b, hNCores, 1<<31) }, true, []string{"cores"}},
		{"target", func(b []byte) []byte { copy(b[hTarget:], "nosuch\x00"); return b }, true, []string{"nosuch"}},
		{"timestep µs", func(b []byte) []byte { return put(b, hTimestepUS, 5) }, true, []string{"5 µs"}},
		{"fingerprint", func(b []byte) []byte { b[hFingerprint] ^= 1; return b }, true, []string{"fingerprint", "altered"}},
		{"model name", func(b []byte) []byte { b[core0+24] = 0x01; return b }, true, []string{"core " + c0, "model name", "printable"}},
		{"padding", func(b []byte) []byte { b[core0+24+30] = 'x'; return b }, true, []string{"core " + c0, "NUL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.edit(slices.Clone(good))
			if c.seal {
				b = reseal(b)
			}
			p, err := Decode(b)
			if err == nil {
				t.Fatalf("decoded a broken image: %d cores", len(p.Cores))
			}
			for _, w := range c.wants {
				if !bytes.Contains([]byte(err.Error()), []byte(w)) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestCanonical: bytes the decoder could read past but the encoder would
// never write are rejected, so an image has one spelling.
func TestCanonical(t *testing.T) {
	good := encode(t, compile(t, "testdata/tiny.yaml", "spinn5"))
	im, _ := parse(good, false)
	b := slices.Clone(good)
	// The network name "tiny" fills its word exactly; a byte of padding
	// needs a shorter name, so flip the length to 3 and leave 'y' as a
	// non-zero padding byte.
	le.PutUint32(b[im.popAt:], 3)
	_, err := Decode(reseal(b))
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("padding")) {
		t.Errorf("non-zero padding: got %v", err)
	}
	// Reserved header bytes.
	b = slices.Clone(good)
	b[hReserved] = 1
	if _, err := Decode(reseal(b)); err == nil {
		t.Errorf("non-zero reserved header byte accepted")
	}
}

func TestEncodeErrors(t *testing.T) {
	base := compile(t, "testdata/tiny.yaml", "spinn5")
	clone := func() *program.Program {
		b, err := program.Encode(base)
		if err != nil {
			t.Fatal(err)
		}
		p, err := program.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		edit func(p *program.Program)
		want string
	}{
		{"fpga", func(p *program.Program) { p.Kind = "fpga" }, "not spinnaker"},
		{"unknown target", func(p *program.Program) { p.Target = "nosuch" }, "nosuch"},
		{"timestep", func(p *program.Program) { p.Timestep = 0 }, "timestep"},
		{"long model", func(p *program.Program) { p.Cores[0].Model = string(make([]byte, 40)) }, "longer than 31"},
		{"odd spikes", func(p *program.Program) {
			for i := range p.Cores {
				if len(p.Cores[i].Spikes) > 0 {
					p.Cores[i].Spikes = p.Cores[i].Spikes[:1]
				}
			}
		}, "pairs"},
		{"unsorted", func(p *program.Program) { p.Cores[0], p.Cores[1] = p.Cores[1], p.Cores[0] }, "not sorted"},
		{"route bits", func(p *program.Program) { p.Chips[0].Routes = []program.Route{{Dest: 1 << 30}} }, "route word"},
		{"pop core", func(p *program.Program) { p.Populations[0].Cores = []uint32{999} }, "core index 999"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := clone()
			c.edit(p)
			_, err := Encode(p)
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
				t.Errorf("Encode: got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

// TestDecodeNoPanicOnPrefixes feeds every prefix length class and a
// resealed version of each, a cheap sweep the fuzzer then widens.
func TestDecodeNoPanicOnPrefixes(t *testing.T) {
	good := encode(t, compile(t, "testdata/tiny.yaml", "spinn5"))
	lens := []int{0, 1, 7, 8, headerBytes - 1, headerBytes, headerBytes + 4, len(good) / 3, len(good) / 2, len(good) - 5, len(good) - 4}
	sort.Ints(lens)
	for _, n := range lens {
		b := slices.Clone(good[:n])
		if n >= hImageBytes+4 {
			le.PutUint32(b[hImageBytes:], uint32(n)) // get past the size check
		}
		if _, err := Decode(reseal(b)); err == nil {
			t.Errorf("prefix of %d bytes decoded", n)
		}
	}
}
