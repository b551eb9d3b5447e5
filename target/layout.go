package target

import "slices"

// layoutChips returns the chip coordinates of a board, sorted by x then y.
func layoutChips(l Layout, w, h int, dead [][2]int) []Chip {
	var chips []Chip
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			if onBoard(l, x, y) && !slices.Contains(dead, [2]int{x, y}) {
				chips = append(chips, Chip{x, y})
			}
		}
	}
	return chips
}

// onBoard reports whether chip (x, y) of the footprint exists.
//
// A SpiNN-5 board is a hexagon of 48 chips in an 8×8 footprint: columns 0–4
// start at y=0 and hold 4, 5, 6, 7, 8 chips; columns 5–7 end at y=7 and hold
// 7, 6, 5. Equivalently, -4 ≤ y-x ≤ 3. This is the board SpiNNMachine's
// version_5.py lists chip by chip, and the hexagon its SpiNNakerTriadGeometry
// derives (three boards tile a 12×12 torus); the test checks both.
func onBoard(l Layout, x, y int) bool {
	switch l {
	case LayoutSpiNN5:
		d := y - x
		return -4 <= d && d <= 3
	default:
		return true
	}
}
