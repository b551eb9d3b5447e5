package suggest

import "testing"

func TestClosest(t *testing.T) {
	models := []string{"if_curr_exp", "if_curr_delta", "cuba_lif", "lif", "if", "li"}
	for _, tc := range []struct{ in, want string }{
		{"lif_cur_exp", "if_curr_exp"},
		{"if_cur_exp", "if_curr_exp"},
		{"cubalif", "cuba_lif"},
		{"izhikevich", ""},
		{"iff", "if"},
	} {
		if got := Closest(tc.in, models); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"ms", "mS", 1}} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q,%q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
