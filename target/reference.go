package target

import (
	"fmt"
	"strings"
)

// ReferenceSystem is published energy data for hardware soma does not target
// (Loihi, TrueNorth, SpiNNaker 2, ODIN, ReckOn, conventional 45 nm logic),
// kept so that energy reports can put a target's estimate next to them. It is
// not a Target: there is nothing to compile for, so it has no limits.
type ReferenceSystem struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Energy      EnergyTable `json:"energy"`
}

// ReferenceEnergy returns the reference systems of targets/reference/energy.json,
// in file order, each coefficient validated like a target's.
func ReferenceEnergy() ([]ReferenceSystem, error) {
	b, err := embedded.ReadFile("targets/reference/energy.json")
	if err != nil {
		return nil, err
	}
	return parseReference(b)
}

func parseReference(b []byte) ([]ReferenceSystem, error) {
	var doc struct {
		Systems []ReferenceSystem `json:"systems"`
	}
	if err := strictUnmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("reference/energy.json: %w", err)
	}
	c := &checker{}
	seen := map[string]bool{}
	for i, s := range doc.Systems {
		f := fmt.Sprintf("systems[%d]", i)
		if s.Name == "" {
			c.failf(f+".name", "is missing")
		}
		if seen[s.Name] {
			c.failf(f+".name", "%q repeated", s.Name)
		}
		seen[s.Name] = true
		c.nonEmpty(f+".description", s.Description)
		validateEnergy(c, s.Name+".energy", s.Energy)
	}
	if len(c.problems) > 0 {
		return nil, fmt.Errorf("reference/energy.json is invalid:\n  %s", strings.Join(c.problems, "\n  "))
	}
	return doc.Systems, nil
}
