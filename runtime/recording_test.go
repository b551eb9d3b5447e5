package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/results"
)

func TestSampledTicks(t *testing.T) {
	tests := []struct {
		from, to, every uint32
		first           uint32
		n               int
	}{
		{0, 10, 1, 0, 10},
		{0, 10, 3, 0, 4}, // 0 3 6 9
		{1, 10, 3, 3, 3}, // 3 6 9
		{4, 9, 3, 6, 1},  // 6
		{7, 9, 3, 7, 0},  // none
		{5, 5, 1, 5, 0},
		{0, 1, 100, 0, 1},
		{4294967290, 4294967295, 4, 4294967292, 1},
	}
	for _, tt := range tests {
		first, n := SampledTicks(tt.from, tt.to, tt.every)
		if (n > 0 && first != tt.first) || n != tt.n {
			t.Errorf("SampledTicks(%d, %d, %d) = %d, %d; want %d, %d", tt.from, tt.to, tt.every, first, n, tt.first, tt.n)
		}
	}
}

// testTrace is a 3-column trace of a 10-tick run sampled every 2 ticks:
// rows at ticks 0, 2, 4, 6, 8 hold tick + column/10.
func testTrace() results.Trace {
	tr := results.Trace{Name: "out.v", Population: "out", Variable: "v", Unit: "V", Indices: []int{0, 7, 300}, Every: 2}
	for tick := 0; tick < 10; tick += 2 {
		for c := range 3 {
			tr.Data = append(tr.Data, float64(tick)+float64(c)/10)
		}
	}
	return tr
}

func TestRecordingRoundTrip(t *testing.T) {
	tr := testTrace()
	tests := []struct {
		name     string
		from, to uint32
		rows     []float64 // first column of the rows kept
	}{
		{"whole run", 0, 10, []float64{0, 2, 4, 6, 8}},
		{"ticks 0-6 (a stopped run)", 0, 7, []float64{0, 2, 4, 6}},
		{"ticks 3-8", 3, 9, []float64{4, 6, 8}},
		{"no sampled tick", 3, 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := Recording{From: tt.from, To: tt.to, Traces: []results.Trace{Slice(tr, tt.from, tt.to)}}
			var first []float64
			for i := 0; i < len(rec.Traces[0].Data); i += 3 {
				first = append(first, rec.Traces[0].Data[i])
			}
			if diff := cmp.Diff(tt.rows, first); diff != "" {
				t.Errorf("rows kept (-want +got):\n%s", diff)
			}
			b, err := rec.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseRecording(b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rec, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			// A byte short or over does not parse.
			if _, err := ParseRecording(b[:len(b)-1]); err == nil {
				t.Error("a truncated recording parsed")
			}
			if _, err := ParseRecording(append(b, 0)); err == nil {
				t.Error("a padded recording parsed")
			}
		})
	}
}

func TestRecordingRefuses(t *testing.T) {
	long := testTrace()
	long.Name = strings.Repeat("x", 256)
	short := testTrace()
	short.Data = short.Data[:4]
	tests := []struct {
		name string
		rec  Recording
		want string
	}{
		{"long name", Recording{To: 10, Traces: []results.Trace{long}}, "longer than 255 bytes"},
		{"data not whole samples", Recording{To: 10, Traces: []results.Trace{short}}, "4 values; ticks [0, 10) sampled every 2 give 5 samples of 3 columns"},
		{"backwards", Recording{From: 5, To: 4}, "recording of ticks [5, 4)"},
	}
	for _, tt := range tests {
		if _, err := tt.rec.Marshal(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
	b, err := Recording{To: 10}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b[0] = 2
	if _, err := ParseRecording(b); err == nil || !strings.Contains(err.Error(), "recording format 2: this host reads format 1") {
		t.Errorf("a recording of format 2: %v", err)
	}
}

// TestTracesNeedProtocol21: a 2.0 board cannot send traces; the host says
// so without asking it.
func TestTracesNeedProtocol21(t *testing.T) {
	host, board := Pipe(0)
	l := NewLink(board, LinkOptions{})
	defer l.Close()
	go func() {
		for f := range l.Control() {
			if h, err := ParseHello(f.Payload); err == nil {
				_ = l.SendControl(MsgInfo, 0, Info{Nonce: h.Nonce, Major: 2, Minor: 0, Board: "old"}.Marshal())
			}
		}
	}()
	c, err := Dial(func() (Port, error) { return host, nil }, Options{HelloTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Traces(context.Background(), 0, 10)
	want := `board cannot send recorded traces: board "old" speaks link protocol 2.0; reading recorded traces needs 2.1 or later (update the board's firmware)`
	if !errors.Is(err, ErrNoTraces) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if st := l.Stats(); st.FramesReceived != 1 {
		t.Errorf("board received %d frames; want the HELLO alone", st.FramesReceived)
	}
}
