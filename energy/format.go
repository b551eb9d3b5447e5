package energy

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/somahw/soma/target"
)

var prefixes = []struct {
	scale  float64
	prefix string
}{
	{1e3, "k"}, {1, ""}, {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"},
}

// formatSI writes v with four significant digits and an SI prefix:
// formatSI(8e-5, "J") is "80 µJ".
func formatSI(v float64, unit string) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64) + " " + unit
	}
	for _, p := range prefixes {
		// Round first so that 999.99 mJ prints as 1 J, not 1000 mJ.
		s := strconv.FormatFloat(v/p.scale, 'g', 4, 64)
		f, _ := strconv.ParseFloat(s, 64)
		if math.Abs(f) >= 1 || p.scale == prefixes[len(prefixes)-1].scale {
			if strings.ContainsAny(s, "e") {
				s = strconv.FormatFloat(f, 'f', -1, 64)
			}
			return s + " " + p.prefix + unit
		}
	}
	return ""
}

// FormatJ writes an energy in joules with an SI prefix ("26.84 J", "80 µJ").
func FormatJ(v float64) string { return formatSI(v, "J") }

// FormatW writes a power in watts with an SI prefix ("34 mW").
func FormatW(v float64) string { return formatSI(v, "W") }

// formatValue writes a coefficient's value in its unit.
func formatValue(v float64, u target.Unit) string { return formatSI(v, string(u)) }

// formatCoefficient writes "1 nJ per 40-bit multicast packet" or "34 mW per active core".
func formatCoefficient(c target.Coefficient) string {
	s := formatValue(c.Value, c.Unit)
	if c.Per != "" {
		s += " per " + c.Per
	}
	return s
}

// formatCount writes a count with thousands separators; non-integers keep
// up to six significant digits.
func formatCount(v float64) string {
	if v != math.Trunc(v) || math.Abs(v) >= 1e18 {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	s := strconv.FormatUint(uint64(math.Abs(v)), 10)
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// formatShare writes part/total as a percentage.
func formatShare(part, total float64) string {
	if total == 0 {
		return "-"
	}
	p := 100 * part / total
	switch {
	case p == 0:
		return "0%"
	case p < 0.01:
		return "<0.01%"
	case p < 10:
		return fmt.Sprintf("%.2f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}

// formatSeconds writes a duration in seconds with an SI prefix.
func formatSeconds(v float64) string { return formatSI(v, "s") }
