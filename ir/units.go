package ir

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/somahw/soma/internal/suggest"
)

// Dimension is the physical dimension of a quantity. Model files write
// quantities with units ("20ms", "-65mV"); the IR holds them in SI base units
// (seconds, volts, amperes, farads, hertz, ohms) so that no later stage has to
// guess a scale.
type Dimension int

const (
	Dimensionless Dimension = iota
	Time
	Voltage
	Current
	Capacitance
	Frequency
	Resistance
)

// String names the dimension as error messages use it ("a time").
func (d Dimension) String() string {
	switch d {
	case Time:
		return "time"
	case Voltage:
		return "voltage"
	case Current:
		return "current"
	case Capacitance:
		return "capacitance"
	case Frequency:
		return "frequency"
	case Resistance:
		return "resistance"
	}
	return "dimensionless number"
}

// SIUnit is the unit the IR stores a quantity of this dimension in.
func (d Dimension) SIUnit() string {
	switch d {
	case Time:
		return "s"
	case Voltage:
		return "V"
	case Current:
		return "A"
	case Capacitance:
		return "F"
	case Frequency:
		return "Hz"
	case Resistance:
		return "Ohm"
	}
	return ""
}

// Example is a value of this dimension written as a human would, for hints.
func (d Dimension) Example() string {
	switch d {
	case Time:
		return "20ms"
	case Voltage:
		return "-65mV"
	case Current:
		return "1.5nA"
	case Capacitance:
		return "0.25nF"
	case Frequency:
		return "5Hz"
	case Resistance:
		return "100MOhm"
	}
	return "0.5"
}

type unitDef struct {
	dim   Dimension
	scale float64
}

// units maps every accepted unit spelling to its dimension and SI scale.
var units = map[string]unitDef{
	"s": {Time, 1}, "ms": {Time, 1e-3}, "us": {Time, 1e-6}, "µs": {Time, 1e-6}, "ns": {Time, 1e-9},
	"min": {Time, 60},
	"V":   {Voltage, 1}, "mV": {Voltage, 1e-3}, "uV": {Voltage, 1e-6}, "µV": {Voltage, 1e-6},
	"A": {Current, 1}, "mA": {Current, 1e-3}, "uA": {Current, 1e-6}, "µA": {Current, 1e-6},
	"nA": {Current, 1e-9}, "pA": {Current, 1e-12},
	"F": {Capacitance, 1}, "mF": {Capacitance, 1e-3}, "uF": {Capacitance, 1e-6}, "µF": {Capacitance, 1e-6},
	"nF": {Capacitance, 1e-9}, "pF": {Capacitance, 1e-12},
	"Hz": {Frequency, 1}, "kHz": {Frequency, 1e3},
	"Ohm": {Resistance, 1}, "kOhm": {Resistance, 1e3}, "MOhm": {Resistance, 1e6}, "GOhm": {Resistance, 1e9},
	"Ω": {Resistance, 1}, "kΩ": {Resistance, 1e3}, "MΩ": {Resistance, 1e6}, "GΩ": {Resistance, 1e9},
}

// UnitScale returns the SI scale of a unit spelling and its dimension.
func UnitScale(unit string) (scale float64, dim Dimension, ok bool) {
	u, ok := units[unit]
	return u.scale, u.dim, ok
}

// ParseQuantity parses "20ms", "-65 mV", "1.5e-3s" or a bare number into SI
// units, checking the dimension. A bare number is accepted for dimensionless
// quantities and, for any dimension, when it is zero (0 is 0 in every unit).
func ParseQuantity(s string, want Dimension) (float64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("expected a %s, got an empty value", want)
	}
	// Split the longest numeric prefix from the unit suffix.
	i := numericPrefix(t)
	numStr, unit := t[:i], strings.TrimSpace(t[i:])
	if numStr == "" {
		return 0, fmt.Errorf("expected a %s such as %s, got %q", want, want.Example(), s)
	}
	x, err := strconv.ParseFloat(numStr, 64)
	if err != nil {
		return 0, fmt.Errorf("expected a %s such as %s, got %q", want, want.Example(), s)
	}
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, fmt.Errorf("expected a finite %s, got %q", want, s)
	}
	if unit == "" {
		if want == Dimensionless || x == 0 {
			return x, nil
		}
		return 0, fmt.Errorf("expected a %s with a unit (e.g. %s), got the bare number %s", want, want.Example(), numStr)
	}
	u, ok := units[unit]
	if !ok {
		hint := ""
		if cand := suggest.Closest(unit, unitNames(want)); cand != "" {
			hint = fmt.Sprintf("; did you mean %s?", cand)
		}
		return 0, fmt.Errorf("unknown unit %q in %q%s", unit, s, hint)
	}
	if u.dim != want {
		return 0, fmt.Errorf("expected a %s (e.g. %s), got %q which is a %s", want, want.Example(), s, u.dim)
	}
	return x * u.scale, nil
}

func unitNames(d Dimension) []string {
	var out []string
	for name, u := range units {
		if u.dim == d {
			out = append(out, name)
		}
	}
	return out
}

// numericPrefix returns the length of the longest prefix of s that looks like
// a floating-point literal (sign, digits, point, exponent).
func numericPrefix(s string) int {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := false
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == '_') {
		if s[i] >= '0' && s[i] <= '9' {
			digits = true
		}
		i++
	}
	if !digits {
		return 0
	}
	// An exponent only if followed by digits: "1e-3s" yes, "5Hz" must not eat nothing.
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && unicode.IsDigit(rune(s[j])) {
			for j < len(s) && unicode.IsDigit(rune(s[j])) {
				j++
			}
			i = j
		}
	}
	return i
}

// FormatQuantity writes an SI value in a readable unit of its dimension,
// such that ParseQuantity reads it back to within 1e-14 relative: of the
// spellings that round-trip, the shortest wins ("0.1ms", not
// "100.00000000000001us"), the larger unit on a tie.
func FormatQuantity(x float64, d Dimension) string { return formatQuantity(x, d, 1e-14) }

// formatExact is FormatQuantity with an exact round trip, for the encoder:
// a network written and read back must be the same network.
func formatExact(x float64, d Dimension) string { return formatQuantity(x, d, 0) }

func formatQuantity(x float64, d Dimension, tol float64) string {
	if d == Dimensionless || math.IsInf(x, 0) || math.IsNaN(x) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	if x == 0 {
		return "0" + d.SIUnit()
	}
	best := strconv.FormatFloat(x, 'g', -1, 64) + d.SIUnit()
	for _, u := range preferredUnits[d] {
		v := x / u.scale
		for _, prec := range []int{12, -1} {
			s := strconv.FormatFloat(v, 'g', prec, 64) + u.name
			if back, err := ParseQuantity(s, d); err == nil && math.Abs(back-x) <= tol*math.Abs(x) && len(s) < len(best) {
				best = s
			}
		}
	}
	return best
}

type namedScale struct {
	name  string
	scale float64
}

// preferredUnits lists, from large to small, the units FormatQuantity uses.
var preferredUnits = map[Dimension][]namedScale{
	Time:        {{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}},
	Voltage:     {{"V", 1}, {"mV", 1e-3}, {"uV", 1e-6}},
	Current:     {{"A", 1}, {"mA", 1e-3}, {"uA", 1e-6}, {"nA", 1e-9}, {"pA", 1e-12}},
	Capacitance: {{"F", 1}, {"uF", 1e-6}, {"nF", 1e-9}, {"pF", 1e-12}},
	Frequency:   {{"kHz", 1e3}, {"Hz", 1}},
	Resistance:  {{"GOhm", 1e9}, {"MOhm", 1e6}, {"kOhm", 1e3}, {"Ohm", 1}},
}
