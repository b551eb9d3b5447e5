// Package serialport opens real serial ports and pseudo-terminals for the
// link runtime. It is soma's only importer of go.bug.st/serial, so the rest
// of the runtime is tested over plain runtime.Port values.
package serialport

import (
	"context"
	"fmt"
	"os"

	"github.com/creack/pty"
	"go.bug.st/serial"
	"golang.org/x/term"

	"github.com/somahw/soma/results"
	"github.com/somahw/soma/runtime"
)

// DefaultBaud is the line rate used when none is given.
const DefaultBaud = 921600

// Open opens a serial port (or a pty's slave side) in raw 8N1 mode.
func Open(name string, baud int) (runtime.Port, error) {
	if baud <= 0 {
		baud = DefaultBaud
	}
	p, err := serial.Open(name, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	return p, nil
}

// Dialer returns a function that opens name anew each time: the client's
// way to reconnect.
func Dialer(name string, baud int) func() (runtime.Port, error) {
	return func() (runtime.Port, error) { return Open(name, baud) }
}

// List returns the serial ports the system knows.
func List() ([]string, error) { return serial.GetPortsList() }

// PTY is a pseudo-terminal: a virtual board serves Master; a host opens
// Path (the slave side) as it would a USB serial adapter.
type PTY struct {
	Master runtime.Port
	Path   string
	master *os.File
	// slave stays open so the master does not see EIO (hang-up) while no
	// host has the port open, or between a host's reconnects.
	slave *os.File
}

// OpenPTY creates a pseudo-terminal in raw mode.
func OpenPTY() (*PTY, error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("creating a pseudo-terminal: %w", err)
	}
	// Raw mode before any host opens it: no echo, no line discipline
	// rewriting 0x0A or eating 0x03.
	if _, err := term.MakeRaw(int(s.Fd())); err != nil {
		m.Close()
		s.Close()
		return nil, fmt.Errorf("pty raw mode: %w", err)
	}
	return &PTY{Master: runtime.NewFilePort(m), Path: s.Name(), master: m, slave: s}, nil
}

// Close closes both sides.
func (p *PTY) Close() error {
	p.slave.Close()
	return p.master.Close()
}

// RunOnBoard loads image onto the board on serial port name at baud and
// runs it (runtime.RunOnBoard over a real port; it reopens the port to
// reconnect when opts.Client.Retries allows).
func RunOnBoard(ctx context.Context, name string, baud int, image []byte, opts runtime.BoardRunOptions) (*results.Result, *runtime.Report, error) {
	return runtime.RunOnBoard(ctx, Dialer(name, baud), image, opts)
}
