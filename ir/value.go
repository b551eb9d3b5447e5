package ir

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Value is a parameter, weight or delay: one number for every element, an
// explicit array (one per neuron or per synapse), or a distribution drawn
// from deterministically at expansion.
type Value struct {
	Scalar float64
	Array  []float64
	Dist   *Distribution
}

// Scalar returns a Value that is x everywhere.
func Scalar(x float64) Value { return Value{Scalar: x} }

// Array returns a Value with one entry per element.
func Array(xs []float64) Value { return Value{Array: xs} }

// IsScalar reports whether v is a single number.
func (v Value) IsScalar() bool { return v.Array == nil && v.Dist == nil }

// Len is the number of explicit entries, or 0 for scalars and distributions.
func (v Value) Len() int { return len(v.Array) }

// Resolve returns n concrete values, drawing from rng for distributions.
// An array must have length n (or 1).
func (v Value) Resolve(n int, rng *rand.Rand) []float64 {
	out := make([]float64, n)
	switch {
	case v.Dist != nil:
		for i := range out {
			out[i] = v.Dist.Draw(rng)
		}
	case v.Array != nil && len(v.Array) == 1:
		for i := range out {
			out[i] = v.Array[0]
		}
	case v.Array != nil:
		copy(out, v.Array)
	default:
		for i := range out {
			out[i] = v.Scalar
		}
	}
	return out
}

// Bounds returns the smallest and largest value v can take (for arrays,
// over its entries; for distributions, their support, possibly infinite).
func (v Value) Bounds() (lo, hi float64) {
	switch {
	case v.Dist != nil:
		return v.Dist.Bounds()
	case v.Array != nil:
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, x := range v.Array {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		if len(v.Array) == 0 {
			return 0, 0
		}
		return lo, hi
	}
	return v.Scalar, v.Scalar
}

// String writes the value for summaries.
func (v Value) String() string {
	switch {
	case v.Dist != nil:
		return v.Dist.String()
	case v.Array != nil:
		lo, hi := v.Bounds()
		return fmt.Sprintf("%d values in [%g, %g]", len(v.Array), lo, hi)
	}
	return fmt.Sprintf("%g", v.Scalar)
}

// DistKind names a random distribution.
type DistKind string

const (
	Uniform DistKind = "uniform"
	Normal  DistKind = "normal"
)

// Distribution is a named random distribution. Uniform draws from [A, B).
// Normal has mean A and standard deviation B; when Low/High are finite it
// is PyNN's normal_clipped: values outside [Low, High] are redrawn.
type Distribution struct {
	Kind      DistKind
	A, B      float64
	Low, High float64 // ±Inf when unclipped
}

// maxRedraws bounds the rejection loop of a clipped normal; Validate makes
// sure the interval holds enough probability mass for it never to matter.
const maxRedraws = 1000

// Draw takes one value from the distribution.
func (d *Distribution) Draw(rng *rand.Rand) float64 {
	switch d.Kind {
	case Uniform:
		return d.A + (d.B-d.A)*rng.Float64()
	case Normal:
		for range maxRedraws {
			x := d.A + d.B*rng.NormFloat64()
			if x >= d.Low && x <= d.High {
				return x
			}
		}
		// Vanishing mass inside the window: clamp rather than loop forever.
		return math.Min(math.Max(d.A, d.Low), d.High)
	}
	return 0
}

// Bounds returns the support of the distribution.
func (d *Distribution) Bounds() (lo, hi float64) {
	switch d.Kind {
	case Uniform:
		return d.A, d.B
	case Normal:
		return d.Low, d.High
	}
	return 0, 0
}

func (d *Distribution) String() string {
	switch d.Kind {
	case Uniform:
		return fmt.Sprintf("uniform(%g, %g)", d.A, d.B)
	case Normal:
		if math.IsInf(d.Low, -1) && math.IsInf(d.High, 1) {
			return fmt.Sprintf("normal(%g, %g)", d.A, d.B)
		}
		return fmt.Sprintf("normal(%g, %g) clipped to [%g, %g]", d.A, d.B, d.Low, d.High)
	}
	return string(d.Kind)
}
