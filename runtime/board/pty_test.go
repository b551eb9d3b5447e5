package board

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/runtime"
	"github.com/somahw/soma/runtime/serialport"
)

// servePTY starts a board on a new pseudo-terminal and returns its path.
func servePTY(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skipf("no pseudo-terminals here (/dev/ptmx: %v)", err)
	}
	p, err := serialport.OpenPTY()
	if err != nil {
		t.Skipf("cannot create a pseudo-terminal: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := New(Options{Target: "spinn5", Link: fastLink})
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Serve(ctx, p.Master) }()
	t.Cleanup(func() { cancel(); p.Close(); <-done })
	return p.Path
}

// TestPTY runs cuba on a virtual board over a real pty opened with
// go.bug.st/serial: the same bytes and code path as a USB serial board.
func TestPTY(t *testing.T) {
	f := cuba(t)
	path := servePTY(t)
	res, rep, err := serialport.RunOnBoard(context.Background(), path, 3000000, f.image,
		runtime.BoardRunOptions{Client: runtime.Options{Link: fastLink}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.want, res.Spikes); diff != "" {
		t.Fatalf("spikes over the pty differ from the emulator's (-want +got):\n%s", diff)
	}
	t.Logf("pty %s: %d frames, %d retransmitted, load %.2fs", path, rep.Link.FramesSent, rep.Link.Retransmits, rep.LoadSeconds)
}

// cutPort fails every write once limit bytes have been written, as a
// pulled USB adapter does.
type cutPort struct {
	runtime.Port
	left *atomic.Int64
}

func (c cutPort) Write(b []byte) (int, error) {
	if c.left.Add(-int64(len(b))) < 0 {
		c.Port.Close()
		return 0, errors.New("device disconnected")
	}
	return c.Port.Write(b)
}

// TestPTYReconnect pulls the line in the middle of a load: the host
// reopens the pty and the load resumes where the board's data ends.
func TestPTYReconnect(t *testing.T) {
	f := cuba(t)
	path := servePTY(t)
	dials := 0
	dial := func() (runtime.Port, error) {
		p, err := serialport.Open(path, 3000000)
		if err != nil {
			return nil, err
		}
		dials++
		if dials == 1 {
			left := &atomic.Int64{}
			left.Store(int64(len(f.image) / 2))
			return cutPort{p, left}, nil
		}
		return p, nil
	}
	res, rep, err := runtime.RunOnBoard(context.Background(), dial, f.image,
		runtime.BoardRunOptions{Client: runtime.Options{Link: fastLink, Retries: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.want, res.Spikes); diff != "" {
		t.Fatalf("spikes differ (-want +got):\n%s", diff)
	}
	if rep.Reconnects != 1 || len(rep.Resumed) != 1 || rep.Resumed[0] == 0 {
		t.Errorf("reconnects %d, resumed at %v: want one resumed load", rep.Reconnects, rep.Resumed)
	}
	t.Logf("resumed at %v of %d bytes", rep.Resumed, len(f.image))
}
