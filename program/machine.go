package program

import (
	"fmt"

	"github.com/somahw/soma/target"
)

// Link directions of the hexagonal chip mesh, in route-word bit order:
// E, NE, N, W, SW, S. Link (l+3)%6 is the opposite of link l.
var linkDelta = [LinkBits][2]int{{1, 0}, {1, 1}, {0, 1}, {-1, 0}, {-1, -1}, {0, -1}}

// LinkNames names the links in bit order.
var LinkNames = [LinkBits]string{"E", "NE", "N", "W", "SW", "S"}

// Opposite returns the link a packet sent out of link l arrives on.
func Opposite(l int) int { return (l + 3) % LinkBits }

// Machine is the part of a target that placement, routing and Verify
// need: which chips exist, how they connect, and their capacities.
type Machine struct {
	Target *target.Target
	// Width and Height of the whole machine in chips; Wrap joins the
	// edges (a torus), as a triad of SpiNN-5 boards does.
	Width, Height int
	Wrap          bool
	chips         map[[2]int]bool
	deadCores     map[[3]int]bool
	deadLinks     map[[3]int]bool
	// FirstCore is the first application core on a chip (cores below it
	// are monitors); Cores is one past the last.
	FirstCore, Cores int
	RouterEntries    int
	DTCMBytes        int64
	SDRAMBytes       int64
}

// NewMachine describes one board of a target.
func NewMachine(t *target.Target) *Machine {
	m := &Machine{
		Target: t, Width: t.Machine.Width, Height: t.Machine.Height, Wrap: t.Machine.Wrap,
		chips:         map[[2]int]bool{},
		FirstCore:     t.Machine.MonitorCoresPerChip,
		Cores:         t.Machine.CoresPerChip,
		RouterEntries: t.Router.UsableEntries(),
	}
	for _, c := range t.Chips() {
		m.chips[[2]int{c.X, c.Y}] = true
	}
	m.deadCores = map[[3]int]bool{}
	for _, c := range t.Machine.DeadCores {
		m.deadCores[c] = true
	}
	m.deadLinks = map[[3]int]bool{}
	for _, l := range t.Machine.DeadLinks {
		// A link is dead in both directions.
		m.deadLinks[l] = true
		if l[2] >= 0 && l[2] < LinkBits {
			if nx, ny, ok := m.neighbour(l[0], l[1], l[2]); ok {
				m.deadLinks[[3]int{nx, ny, Opposite(l[2])}] = true
			}
		}
	}
	if mem, ok := t.MemoryOf(target.DTCM); ok {
		m.DTCMBytes = mem.Usable()
	}
	if mem, ok := t.MemoryOf(target.SDRAM); ok {
		m.SDRAMBytes = mem.Usable()
	}
	return m
}

// HasChip reports whether chip (x, y) exists.
func (m *Machine) HasChip(x, y int) bool { return m.chips[[2]int{x, y}] }

// Chips lists the chips sorted by x then y.
func (m *Machine) Chips() [][2]int {
	var out [][2]int
	for x := range m.Width {
		for y := range m.Height {
			if m.HasChip(x, y) {
				out = append(out, [2]int{x, y})
			}
		}
	}
	return out
}

// WorkingCores counts the application cores mapping may use.
func (m *Machine) WorkingCores() int {
	n := 0
	for _, c := range m.Chips() {
		for p := m.FirstCore; p < m.Cores; p++ {
			if m.CoreUsable(c[0], c[1], p) {
				n++
			}
		}
	}
	return n
}

// CoreUsable reports whether application core p of chip (x, y) exists
// and works.
func (m *Machine) CoreUsable(x, y, p int) bool {
	return m.HasChip(x, y) && p >= m.FirstCore && p < m.Cores && !m.deadCores[[3]int{x, y, p}]
}

// Neighbour returns the chip at the far end of link l of chip (x, y), if
// the link works and the chip exists.
func (m *Machine) Neighbour(x, y, l int) (int, int, bool) {
	if m.deadLinks[[3]int{x, y, l}] {
		return 0, 0, false
	}
	return m.neighbour(x, y, l)
}

func (m *Machine) neighbour(x, y, l int) (int, int, bool) {
	nx, ny := x+linkDelta[l][0], y+linkDelta[l][1]
	if m.Wrap {
		nx, ny = (nx+m.Width)%m.Width, (ny+m.Height)%m.Height
	}
	if !m.HasChip(nx, ny) {
		return 0, 0, false
	}
	return nx, ny, true
}

// String summarises the machine for reports.
func (m *Machine) String() string {
	return fmt.Sprintf("%s: %d chips × %d application cores", m.Target.Name, len(m.chips), m.Cores-m.FirstCore)
}
