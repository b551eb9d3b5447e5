package program_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/program"
)

// Link bits in route words.
const (
	linkE  = 1 << iota // to x+1, y
	linkNE             // to x+1, y+1
	linkN              // to x, y+1
	linkW              // to x-1, y
	linkSW             // to x-1, y-1
	linkS              // to x, y-1
)

func cores(ps ...uint8) uint32 {
	var d uint32
	for _, p := range ps {
		d |= program.CoreBit(p)
	}
	return d
}

type table struct {
	x, y   uint8
	routes []program.Route
}

func chips(ts ...table) []program.Chip {
	var out []program.Chip
	for _, t := range ts {
		out = append(out, program.Chip{X: t.x, Y: t.y, Routes: t.routes})
	}
	return out
}

func ids(s ...[3]uint8) []program.CoreID {
	var out []program.CoreID
	for _, c := range s {
		out = append(out, program.CoreID{X: c[0], Y: c[1], P: c[2]})
	}
	return out
}

func TestReach(t *testing.T) {
	const key, mask = 0x100, 0xffffff00
	src := program.CoreID{X: 0, Y: 0, P: 1}
	route := func(dest uint32) []program.Route { return []program.Route{{Key: key, Mask: mask, Dest: dest}} }
	other := []program.Route{{Key: 0x200, Mask: mask, Dest: linkW | cores(3)}}
	tests := []struct {
		name    string
		wrap    bool
		machine string
		src     program.CoreID
		key     uint32
		chips   []program.Chip
		want    []program.CoreID
		wantErr string
	}{
		{
			name:  "own chip",
			chips: chips(table{0, 0, route(cores(2, 5, 17))}),
			want:  ids([3]uint8{0, 0, 2}, [3]uint8{0, 0, 5}, [3]uint8{0, 0, 17}),
		},
		{
			name:  "key within the mask",
			key:   key | 0x7f,
			chips: chips(table{0, 0, route(cores(2))}),
			want:  ids([3]uint8{0, 0, 2}),
		},
		{
			name: "first matching entry wins",
			chips: chips(table{0, 0, []program.Route{
				{Key: key, Mask: 0xffffffff, Dest: cores(7)}, // the exact key
				{Key: key, Mask: mask, Dest: cores(2)},
			}}),
			want: ids([3]uint8{0, 0, 7}),
		},
		{
			name: "default routing: straight on through a chip without a table",
			chips: chips(
				table{0, 0, route(linkE)},
				table{2, 0, route(cores(3))},
			),
			want: ids([3]uint8{2, 0, 3}),
		},
		{
			name: "default routing: straight on through a chip whose table has no match",
			chips: chips(
				table{0, 0, route(linkE)},
				table{1, 0, other},
				table{2, 0, other},
				table{3, 0, route(cores(4))},
			),
			want: ids([3]uint8{3, 0, 4}),
		},
		{
			name: "default routing on a diagonal",
			chips: chips(
				table{0, 0, route(linkNE)},
				table{3, 3, route(cores(9))},
			),
			want: ids([3]uint8{3, 3, 9}),
		},
		{
			name: "default routing leads off the machine",
			chips: chips(
				table{0, 0, route(linkE)},
			),
			// spinn5's row y=0 ends at x=4.
			wantErr: "leaves chip 4,0 by link E, which leads off the machine",
		},
		{
			name: "multi-hop tree",
			chips: chips(
				table{0, 0, route(linkNE | cores(2))},
				table{1, 1, route(linkNE | linkN | cores(4))},
				table{1, 2, route(cores(6, 7))},
				table{2, 2, route(linkE | cores(5))},
				table{3, 2, route(cores(1))},
			),
			want: ids([3]uint8{0, 0, 2}, [3]uint8{1, 1, 4}, [3]uint8{1, 2, 6}, [3]uint8{1, 2, 7}, [3]uint8{2, 2, 5}, [3]uint8{3, 2, 1}),
		},
		{
			name: "multi-hop from an inner chip, every direction",
			src:  program.CoreID{X: 2, Y: 2, P: 3},
			chips: chips(
				table{2, 2, route(linkE | linkNE | linkN | linkW | linkSW | linkS)},
				table{3, 2, route(cores(1))},
				table{3, 3, route(cores(2))},
				table{2, 3, route(cores(3))},
				table{1, 2, route(cores(4))},
				table{1, 1, route(cores(5))},
				table{2, 1, route(cores(6))},
			),
			want: ids([3]uint8{1, 1, 5}, [3]uint8{1, 2, 4}, [3]uint8{2, 1, 6}, [3]uint8{2, 3, 3}, [3]uint8{3, 2, 1}, [3]uint8{3, 3, 2}),
		},
		{
			name:    "nothing on the own chip: dropped",
			chips:   chips(table{0, 0, other}),
			wantErr: "key 00000100 from 0,0,1 matches no entry on its own chip and is dropped",
		},
		{
			name:    "no table on the own chip: dropped",
			chips:   chips(table{1, 0, route(cores(2))}),
			wantErr: "matches no entry on its own chip and is dropped",
		},
		{
			name:    "link off the machine from the own chip",
			chips:   chips(table{0, 0, route(linkSW)}),
			wantErr: "key 00000100 from 0,0,1 leaves chip 0,0 by link SW, which leads off the machine",
		},
		{
			name: "loop",
			chips: chips(
				table{0, 0, route(linkE)},
				table{1, 0, route(linkW)},
			),
			wantErr: "key 00000100 from 0,0,1 visits chip 0,0 twice (a routing loop or merge)",
		},
		{
			name: "two paths merge",
			chips: chips(
				table{0, 0, route(linkE | linkN)},
				table{0, 1, route(linkE)},
				table{1, 0, route(linkN)},
				table{1, 1, route(cores(2))},
			),
			wantErr: "visits chip 1,1 twice",
		},
		{
			name:    "wrap-around",
			machine: "spinn3",
			wrap:    true,
			src:     program.CoreID{X: 1, Y: 1, P: 1},
			chips: chips(
				table{1, 1, route(linkNE)},
				table{0, 0, route(cores(2))},
			),
			want: ids([3]uint8{0, 0, 2}),
		},
		{
			name:    "no wrap-around",
			machine: "spinn3",
			src:     program.CoreID{X: 1, Y: 1, P: 1},
			chips: chips(
				table{1, 1, route(linkNE)},
				table{0, 0, route(cores(2))},
			),
			wantErr: "leaves chip 1,1 by link NE, which leads off the machine",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.machine
			if name == "" {
				name = "spinn5"
			}
			m := program.NewMachine(loadTarget(t, name))
			m.Wrap = tt.wrap
			p := &program.Program{Chips: tt.chips}
			from, k := tt.src, tt.key
			if from == (program.CoreID{}) {
				from = src
			}
			if k == 0 {
				k = key
			}
			got, err := p.Reach(m, from, k)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Reach = %v, %v; want an error mentioning %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Reach (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReachCompiled checks every sending core of a compiled multi-chip
// program against the rows: this is what Verify does, written out, so a
// regression in either shows up here with the core named.
func TestReachCompiled(t *testing.T) {
	p, m := twoChip(t)
	rx := receivers(p)
	remote := 0
	for _, c := range p.Cores {
		want := rx[[2]uint32{c.Key, c.Mask}]
		if len(want) == 0 {
			continue
		}
		for _, local := range []uint32{0, c.N - 1} {
			got, err := p.Reach(m, c.CoreID, c.Key|local)
			if err != nil {
				t.Fatalf("core %s: %v", c.CoreID, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("core %s, neuron %d: Reach (-want +got):\n%s", c.CoreID, local, diff)
			}
		}
		for _, r := range want {
			if r.X != c.X || r.Y != c.Y {
				remote++
			}
		}
	}
	if remote == 0 {
		t.Error("no packet crosses chips; the test covers no multi-hop delivery")
	}
}
