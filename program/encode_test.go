package program_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/somahw/soma/internal/golden"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/program"
)

func encode(t testing.TB, p *program.Program) []byte {
	t.Helper()
	b, err := program.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reseal replaces the CRC-32 trailer of b so that it matches the bytes
// before it, so a test reaches the check after the checksum.
func reseal(b []byte) []byte {
	body := bytes.Clone(b[:len(b)-4])
	return binary.LittleEndian.AppendUint32(body, crc32.ChecksumIEEE(body))
}

// seal appends a CRC-32 trailer to body.
func seal(body []byte) []byte {
	return binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.ChecksumIEEE(body))
}

// programOpts compare programs: nil and empty slices are the same (the
// codec does not tell them apart), and word regions are compared whole, as
// cmp walks megabyte regions element by element far too slowly.
var programOpts = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.FilterValues(func(a, b []uint32) bool { return len(a) > 0 || len(b) > 0 }, cmp.Comparer(slices.Equal[[]uint32])),
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		prog func(t *testing.T) *program.Program
	}{
		{"cuba/spinn5", func(t *testing.T) *program.Program { return compileExample(t, "cuba", "spinn5") }},
		{"stdp/spinn5", func(t *testing.T) *program.Program { return compileExample(t, "stdp", "spinn5") }},
		{"stdp/zcu102", func(t *testing.T) *program.Program { return compileExample(t, "stdp", "zcu102") }},
		{"small/spinn3", func(t *testing.T) *program.Program {
			return compileYAML(t, "small.yaml", smallYAML, "spinn3", compiler.Options{})
		}},
		{"plastic/spinn3", func(t *testing.T) *program.Program {
			return compileYAML(t, "plastic.yaml", plasticYAML, "spinn3", compiler.Options{})
		}},
		{"handmade", func(*testing.T) *program.Program { return handmade() }},
		{"zero", func(*testing.T) *program.Program { return &program.Program{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.prog(t)
			b := encode(t, p)
			if again := encode(t, p); !bytes.Equal(b, again) {
				t.Fatal("encoding the same program twice gave different bytes")
			}
			q, err := program.Decode(b)
			if err != nil {
				t.Fatalf("Decode(Encode(p)): %v", err)
			}
			if diff := cmp.Diff(p, q, programOpts...); diff != "" {
				t.Errorf("Decode(Encode(p)) differs from p (-want +got):\n%s", diff)
			}
			if b2 := encode(t, q); !bytes.Equal(b, b2) {
				t.Errorf("Encode(Decode(b)) is not byte-identical to b (%d vs %d bytes)", len(b2), len(b))
			}
		})
	}
}

func TestHeader(t *testing.T) {
	b := encode(t, handmade())
	want := append([]byte("SOMAPROG"), 1, 0, 0, 0)
	if program.FormatVersion != 1 {
		t.Fatalf("FormatVersion = %d; update this test and the golden files with the format", program.FormatVersion)
	}
	if !bytes.Equal(b[:12], want) {
		t.Errorf("header = % x, want % x", b[:12], want)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if got := crc32.ChecksumIEEE(body); got != sum {
		t.Errorf("trailer %08x, CRC-32 of the body is %08x", sum, got)
	}
}

const goldenFile = "small.soma.golden"

// hexLines writes b as lowercase hex, 32 bytes a line.
func hexLines(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		n := min(32, len(b))
		sb.WriteString(hex.EncodeToString(b[:n]))
		sb.WriteByte('\n')
		b = b[n:]
	}
	return sb.String()
}

func readGolden(t *testing.T) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", goldenFile))
	if err != nil {
		t.Fatalf("%v (run go test ./program -update to create it)", err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(text)), ""))
	if err != nil {
		t.Fatalf("testdata/%s: %v", goldenFile, err)
	}
	return b
}

// TestGolden pins the encoding of the small network: a change in the
// format (or in what the compiler emits for it) must be deliberate, made
// by rewriting the golden file with -update.
func TestGolden(t *testing.T) {
	got := encode(t, compileYAML(t, "small.yaml", smallYAML, "spinn3", compiler.Options{}))
	path := filepath.Join("testdata", goldenFile)
	if golden.Update() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(hexLines(got)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readGolden(t)

	t.Run("decodes", func(t *testing.T) {
		// Independent of the compiler: the stored bytes still decode and
		// re-encode to themselves.
		p, err := program.Decode(want)
		if err != nil {
			t.Fatalf("testdata/%s no longer decodes: %v", goldenFile, err)
		}
		if again := encode(t, p); !bytes.Equal(again, want) {
			t.Errorf("testdata/%s decodes but re-encodes differently (%d vs %d bytes)", goldenFile, len(again), len(want))
		}
	})
	t.Run("compiled", func(t *testing.T) {
		if !bytes.Equal(got, want) {
			if diff := cmp.Diff(hexLines(want), hexLines(got)); diff != "" {
				t.Errorf("encoded small network differs from testdata/%s (-want +got); if the change is deliberate run go test ./program -update:\n%s", goldenFile, diff)
			}
		}
	})
}

// decodeNoPanic calls Decode and turns a panic into a test failure that
// names the input.
func decodeNoPanic(t *testing.T, what string, b []byte) (p *program.Program, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: Decode panicked: %v", what, r)
		}
	}()
	return program.Decode(b)
}

func smallEncoded(t *testing.T) []byte {
	t.Helper()
	return encode(t, compileYAML(t, "small.yaml", smallYAML, "spinn3", compiler.Options{}))
}

func TestDecodeTruncated(t *testing.T) {
	for name, b := range map[string][]byte{"small": smallEncoded(t), "handmade": encode(t, handmade())} {
		t.Run(name, func(t *testing.T) {
			for n := range len(b) {
				// As cut: the trailer is gone, so mostly the checksum fails.
				if _, err := decodeNoPanic(t, fmt.Sprintf("first %d of %d bytes", n, len(b)), b[:n]); err == nil {
					t.Fatalf("first %d of %d bytes: Decode succeeded", n, len(b))
				}
				// With a valid trailer, so the decoder's own bounds checks
				// meet the cut. The encoding is self-delimiting, so no proper
				// prefix of a program is a program.
				if n < 12 || n >= len(b)-4 {
					continue
				}
				cut := seal(b[:n])
				_, err := decodeNoPanic(t, fmt.Sprintf("first %d of %d bytes, resealed", n, len(b)), cut)
				if err == nil {
					t.Fatalf("first %d of %d body bytes with a valid CRC: Decode succeeded", n, len(b)-4)
				}
				if !strings.Contains(err.Error(), "truncated") && !strings.Contains(err.Error(), "cannot fit") &&
					!strings.Contains(err.Error(), "too short") {
					t.Fatalf("first %d of %d body bytes with a valid CRC: error %q does not say the input is cut short", n, len(b)-4, err)
				}
			}
		})
	}
}

func TestDecodeFlippedByte(t *testing.T) {
	b := smallEncoded(t)
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x5a
		_, err := decodeNoPanic(t, fmt.Sprintf("byte %d flipped", i), c)
		want := "checksum"
		if i < 8 {
			want = "bad magic" // the magic is checked before the CRC
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("byte %d flipped: error %v, want one mentioning %q", i, err, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good := encode(t, handmade())
	tests := []struct {
		name string
		in   func() []byte
		want string
	}{
		{"empty", func() []byte { return nil }, "too short"},
		{"magic only", func() []byte { return []byte("SOMAPROG") }, "too short"},
		{"wrong magic", func() []byte {
			c := bytes.Clone(good)
			copy(c, "NOTAPROG")
			return reseal(c)
		}, "bad magic"},
		{"zip file", func() []byte { return append([]byte("PK\x03\x04"), make([]byte, 100)...) }, "bad magic"},
		{"wrong version", func() []byte {
			c := bytes.Clone(good)
			binary.LittleEndian.PutUint32(c[8:], 2)
			return reseal(c)
		}, "format version 2, this soma reads version 1"},
		{"version 0", func() []byte {
			c := bytes.Clone(good)
			binary.LittleEndian.PutUint32(c[8:], 0)
			return reseal(c)
		}, "format version 0"},
		{"bad trailer", func() []byte {
			c := bytes.Clone(good)
			c[len(c)-1] ^= 1
			return c
		}, "checksum mismatch"},
		{"trailing bytes", func() []byte {
			return seal(append(bytes.Clone(good[:len(good)-4]), 0, 0, 0))
		}, "3 unexpected bytes after the program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodeNoPanic(t, tt.name, tt.in())
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", p)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// headerLen is the encoded size of the fields before Populations.
func headerLen(p *program.Program) int {
	return 12 + 4 + len(p.Network) + 4 + len(p.Target) + 4 + len(p.Kind) + 8 + 4 + 8 + 5
}

func TestDecodeHostileLengths(t *testing.T) {
	p := handmade()
	// A sentinel region, so the test can find a length field nested deep
	// inside a core.
	sentinel := []uint32{0x5eed5eed, 0x5eed5eed, 0x5eed5eed}
	p.Cores[1].Synapses = sentinel
	good := encode(t, p)
	var pattern []byte
	pattern = binary.LittleEndian.AppendUint32(pattern, uint32(len(sentinel)))
	for _, w := range sentinel {
		pattern = binary.LittleEndian.AppendUint32(pattern, w)
	}
	synLen := bytes.Index(good, pattern)
	if synLen < 0 || bytes.Count(good, pattern) != 1 {
		t.Fatal("cannot find the synaptic matrix's length field")
	}

	tests := []struct {
		name string
		at   int
		want string
	}{
		{"network name length", 12, "truncated"},
		{"populations length", headerLen(p), "cannot fit"},
		{"first population's name length", headerLen(p) + 4, "truncated"},
		{"synaptic matrix length", synLen, "cannot fit"},
	}
	for _, tt := range tests {
		for _, n := range []uint32{0xffffffff, 0x80000000, 0x7fffffff, 0x10000000} {
			t.Run(fmt.Sprintf("%s=%#x", tt.name, n), func(t *testing.T) {
				c := bytes.Clone(good)
				binary.LittleEndian.PutUint32(c[tt.at:], n)
				c = reseal(c)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				_, err := decodeNoPanic(t, tt.name, c)
				runtime.ReadMemStats(&after)
				if err == nil {
					t.Fatal("Decode succeeded")
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %q does not mention %q", err, tt.want)
				}
				if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
					t.Errorf("Decode of %d hostile bytes allocated %d bytes", len(c), alloc)
				}
			})
		}
	}
}

func TestDecodeBadTags(t *testing.T) {
	p := handmade()
	good := encode(t, p)
	// Population 0's Source bool sits after its name, size and model.
	src := headerLen(p) + 4 + 4 + len(p.Populations[0].Name) + 4 + 4 + len(p.Populations[0].Model)
	if good[src] != 1 {
		t.Fatalf("byte %d = %d, expected population 0's Source flag (1)", src, good[src])
	}
	c := bytes.Clone(good)
	c[src] = 2
	if _, err := decodeNoPanic(t, "bool 2", reseal(c)); err == nil || !strings.Contains(err.Error(), "boolean byte 2") {
		t.Errorf("Source flag 2: error %v, want one about a boolean byte", err)
	}

	// The last core's Delay pointer: its presence byte is followed by the
	// 16 bytes of DelayConfig, then the Record (two empty slices).
	d := p.Cores[2].Delay
	var cfg []byte
	for _, x := range []uint32{d.SourceKey, d.SourceMask, d.Slots, d.Stages} {
		cfg = binary.LittleEndian.AppendUint32(cfg, x)
	}
	at := bytes.Index(good, append([]byte{1}, cfg...))
	if at < 0 {
		t.Fatal("cannot find the delay core's configuration")
	}
	c = bytes.Clone(good)
	c[at] = 7
	if _, err := decodeNoPanic(t, "presence 7", reseal(c)); err == nil || !strings.Contains(err.Error(), "presence byte 7") {
		t.Errorf("presence byte 7: error %v, want one about a presence byte", err)
	}
}

// TestProgramOpts checks that the comparison TestRoundTrip relies on does
// see a changed word, a changed field and a nil pointer.
func TestProgramOpts(t *testing.T) {
	mutations := map[string]func(p *program.Program){
		"synaptic word": func(p *program.Program) { p.Cores[1].Synapses[3]++ },
		"neuron word":   func(p *program.Program) { p.Cores[1].Neurons = p.Cores[1].Neurons[:8] },
		"key":           func(p *program.Program) { p.Cores[0].Key++ },
		"stdp":          func(p *program.Program) { p.Cores[1].Plastic = nil },
		"empty routes":  func(p *program.Program) { p.Chips[0].Routes = nil },
	}
	for name, mutate := range mutations {
		p, q := handmade(), handmade()
		mutate(q)
		if cmp.Diff(p, q, programOpts...) == "" {
			t.Errorf("%s: a changed program compares equal", name)
		}
	}
	p, q := handmade(), handmade()
	q.Chips[1].Routes = []program.Route{}
	q.Cores[0].Neurons = []uint32{}
	if diff := cmp.Diff(p, q, programOpts...); diff != "" {
		t.Errorf("nil and empty slices compare different:\n%s", diff)
	}
}
