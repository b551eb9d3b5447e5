// Package suggest finds the closest known name to a misspelt one, for
// "did you mean …?" hints in error messages.
package suggest

import "sort"

// Closest returns the candidate nearest to s by edit distance, or "" when
// none is close enough to be a plausible typo (more than a third of the
// longer string would have to change).
func Closest(s string, candidates []string) string {
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted) // ties resolve the same way on every run
	best, bestD := "", -1
	for _, c := range sorted {
		d := Distance(s, c)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	limit := max(len(s), len(best))/3 + 1
	if bestD > limit {
		return ""
	}
	return best
}

// Distance is the Levenshtein distance between a and b, counted in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
