// Package serialport opens real serial ports and pseudo-terminals for the
// link runtime. It is soma's only importer of go.bug.st/serial, so the rest
// of the runtime is tested over plain runtime.Port values.
package serialport

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/creack/pty"
	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"
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
// way to reconnect. name is a serial device (or a pty), or tcp:HOST:PORT
// for a virtual board served on TCP (soma board serve --listen).
func Dialer(name string, baud int) func() (runtime.Port, error) {
	if addr, ok := strings.CutPrefix(name, "tcp:"); ok {
		return func() (runtime.Port, error) {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				return nil, err
			}
			return runtime.NewConnPort(c), nil
		}
	}
	return func() (runtime.Port, error) { return Open(name, baud) }
}

// List returns the serial ports the system knows.
func List() ([]string, error) { return serial.GetPortsList() }

// PortInfo describes a serial port: for a USB adapter, its vendor and
// product IDs (hex) and the strings the device reports, where the system
// knows them.
type PortInfo struct {
	Name                  string
	USB                   bool
	VID, PID              string
	Serial                string
	Manufacturer, Product string
}

// USBID is "VID:PID", or "" for a port that is not USB.
func (p PortInfo) USBID() string {
	if !p.USB {
		return ""
	}
	return p.VID + ":" + p.PID
}

// Ports lists the serial ports with what the system knows of them. Where
// the details cannot be had (an OS without the enumerator) it falls back
// to the names alone.
func Ports() ([]PortInfo, error) {
	ds, err := enumerator.GetDetailedPortsList()
	if err != nil {
		names, lerr := List()
		if lerr != nil {
			return nil, err
		}
		out := make([]PortInfo, len(names))
		for i, n := range names {
			out[i] = PortInfo{Name: n}
		}
		return out, nil
	}
	out := make([]PortInfo, 0, len(ds))
	for _, d := range ds {
		out = append(out, PortInfo{Name: d.Name, USB: d.IsUSB, VID: d.VID, PID: d.PID, Serial: d.SerialNumber,
			Manufacturer: d.Manufacturer, Product: d.Product})
	}
	return out, nil
}

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
	pm, err := pollable(m)
	if err != nil {
		m.Close()
		s.Close()
		return nil, fmt.Errorf("pty master: %w", err)
	}
	m = pm
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
