package serialport

import (
	"os"
	"testing"
	"time"
)

// TestPTYCloseInterruptsWrite: a write blocked on a pty whose other side
// nobody reads (a host that has gone) returns when the master is closed,
// so a virtual board can shut down. Before the master was made pollable,
// the write — and the board's Close, waiting for its writer — hung.
func TestPTYCloseInterruptsWrite(t *testing.T) {
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skipf("no pseudo-terminals here (/dev/ptmx: %v)", err)
	}
	p, err := OpenPTY()
	if err != nil {
		t.Skipf("cannot create a pseudo-terminal: %v", err)
	}
	defer p.Close()
	wrote := make(chan int64)
	go func() {
		var n int64
		buf := make([]byte, 4096)
		for {
			k, err := p.Master.Write(buf)
			n += int64(k)
			if err != nil {
				wrote <- n
				return
			}
		}
	}()
	// Let the pty's buffers fill and the writer block.
	time.Sleep(200 * time.Millisecond)
	if err := p.Master.Close(); err != nil {
		t.Fatalf("closing the master: %v", err)
	}
	select {
	case n := <-wrote:
		t.Logf("the blocked write returned after %d bytes, once the master was closed", n)
	case <-time.After(10 * time.Second):
		t.Fatal("a write blocked on a full pty did not return when the master was closed")
	}
}
