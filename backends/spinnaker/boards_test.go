package spinnaker

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// TestTriadTiling: the three boards of a triad, placed at SpiNNMachine's
// origins (0,0), (4,8), (8,4), cover each of the 144 chips of the 12×12
// torus exactly once, 48 chips each, and each board's chips are the
// SpiNN-5 hexagon of a single board shifted to its origin.
func TestTriadTiling(t *testing.T) {
	tg, err := target.Load("spinn5x3")
	if err != nil {
		t.Fatal(err)
	}
	one, err := target.Load("spinn5")
	if err != nil {
		t.Fatal(err)
	}
	origins, err := BoardOrigins(tg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][2]int{{0, 0}, {4, 8}, {8, 4}}, origins); diff != "" {
		t.Fatalf("origins (-want +got):\n%s", diff)
	}
	covered := map[[2]int]int{}
	perBoard := make([]map[[2]int]bool, len(origins))
	for b, o := range origins {
		perBoard[b] = map[[2]int]bool{}
		for _, c := range one.Chips() {
			xy := [2]int{(c.X + o[0]) % 12, (c.Y + o[1]) % 12}
			covered[xy]++
			perBoard[b][xy] = true
		}
	}
	if len(covered) != 144 {
		t.Errorf("the boards cover %d chips, want 144", len(covered))
	}
	for _, c := range tg.Chips() {
		xy := [2]int{c.X, c.Y}
		if covered[xy] != 1 {
			t.Errorf("chip %v is on %d boards", xy, covered[xy])
		}
		b, ok := BoardOf(tg, c.X, c.Y)
		if !ok || !perBoard[b][xy] {
			t.Errorf("BoardOf(%v) = %d, %t; not the board whose hexagon covers it", xy, b, ok)
		}
	}
	if len(tg.Chips()) != 144 {
		t.Errorf("spinn5x3 has %d chips, want 144", len(tg.Chips()))
	}
	for b := range perBoard {
		if len(perBoard[b]) != 48 {
			t.Errorf("board %d has %d chips", b, len(perBoard[b]))
		}
	}
	if _, ok := BoardOf(tg, 12, 0); ok {
		t.Errorf("BoardOf accepts a chip outside the machine")
	}
}

func TestBoardsRoundTrip(t *testing.T) {
	cases := []struct {
		name, model, target string
		// spread: the program's cores lie on more than one board.
		spread bool
	}{
		{"cuba triad", "../../examples/cuba.yaml", "spinn5x3", true},
		{"synfire triad", "../../examples/synfire.yaml", "spinn5x3", true},
		{"tiny triad", "testdata/tiny.yaml", "spinn5x3", false},
		{"tiny one board", "testdata/tiny.yaml", "spinn5", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := compile(t, c.model, c.target)
			tg, _ := target.Load(c.target)
			man, images, err := EncodeBoards(p, tg)
			if err != nil {
				t.Fatal(err)
			}
			origins, _ := BoardOrigins(tg)
			if len(images) != len(origins) {
				t.Fatalf("%d images for %d boards", len(images), len(origins))
			}
			m, err := ParseManifest(man)
			if err != nil {
				t.Fatal(err)
			}
			withCores := 0
			for _, img := range images {
				im, err := parse(img, false)
				if err != nil {
					t.Fatal(err)
				}
				if len(im.cores) > 0 {
					withCores++
				}
			}
			if c.spread && withCores < 2 {
				t.Errorf("only %d board images hold cores; the case should exercise the split", withCores)
			}
			for i, e := range m.Boards {
				if e.Bytes != len(images[i]) || e.CRC != crcOf(images[i]) {
					t.Errorf("manifest board %d: %d bytes, CRC %08x; image %d bytes, CRC %08x", i, e.Bytes, e.CRC, len(images[i]), crcOf(images[i]))
				}
			}
			got, err := DecodeBoards(man, images)
			if err != nil {
				t.Fatal(err)
			}
			sameProgram(t, p, got)
			if err := got.Verify(program.NewMachine(tg)); err != nil {
				t.Errorf("reassembled program does not verify: %v", err)
			}
			if len(images) == 1 {
				whole := encode(t, p)
				if !bytes.Equal(whole, images[0]) {
					t.Errorf("a one-board target's board image differs from Encode's at byte %d", firstDiff(whole, images[0]))
				}
			}
		})
	}
}

func TestBoardsErrors(t *testing.T) {
	p := compile(t, "../../examples/synfire.yaml", "spinn5x3")
	tg, _ := target.Load("spinn5x3")
	man, images, err := EncodeBoards(p, tg)
	if err != nil {
		t.Fatal(err)
	}
	other, otherImages, err := EncodeBoards(compile(t, "testdata/tiny.yaml", "spinn5x3"), tg)
	if err != nil {
		t.Fatal(err)
	}
	swap := func(i, j int) [][]byte {
		s := slices.Clone(images)
		s[i], s[j] = s[j], s[i]
		return s
	}
	replace := func(i int, b []byte) [][]byte {
		s := slices.Clone(images)
		s[i] = b
		return s
	}
	corrupt := slices.Clone(images[1])
	corrupt[headerBytes+2] ^= 1
	cases := []struct {
		name     string
		manifest []byte
		images   [][]byte
		want     string
	}{
		{"missing image", man, images[:2], "2 images for the manifest's 3 boards"},
		{"swapped", man, swap(0, 1), "board 0"},
		{"other build", man, replace(2, otherImages[2]), "board 2"},
		{"other manifest", other, images, "board 0"},
		{"corrupt image", man, replace(1, corrupt), "board 1"},
		{"manifest header", []byte("hello\n"), images, "line"},
		{"manifest path", bytes.Replace(man, []byte("file synfire-board0"), []byte("file ../x-board0"), 1), images, "plain file name"},
		{"manifest spacing", bytes.Replace(man, []byte("boards 3"), []byte("boards  3"), 1), images, "line 4"},
		{"manifest no newline", man[:len(man)-1], images, "newline"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeBoards(c.manifest, c.images)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
	// A board image alone is not a whole program.
	if _, err := Decode(images[0]); err == nil || !strings.Contains(err.Error(), "DecodeBoards") {
		t.Errorf("Decode(board image) = %v, want a pointer to DecodeBoards", err)
	}
}

func TestManifestText(t *testing.T) {
	p := compile(t, "../../examples/synfire.yaml", "spinn5x3")
	tg, _ := target.Load("spinn5x3")
	man, _, err := EncodeBoards(p, tg)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(man), "\n")
	want := []string{ManifestHeader, "target spinn5x3"}
	if diff := cmp.Diff(want, lines[:2]); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(lines[4], "board 0 origin 0,0 file synfire-board0.spinn bytes ") ||
		!strings.HasPrefix(lines[5], "board 1 origin 4,8 file synfire-board1.spinn ") ||
		!strings.HasPrefix(lines[6], "board 2 origin 8,4 file synfire-board2.spinn ") {
		t.Errorf("board lines:\n%s", strings.Join(lines[4:], "\n"))
	}
}
