//go:build unix

package serialport

import (
	"os"
	"syscall"
)

// pollable returns f's file in non-blocking mode, which Go's poller
// serves: Close then interrupts a Read or Write blocked on it, and read
// deadlines work. creack/pty hands the master back in blocking mode (its
// calls to Fd switch it), where a Write blocked on a full pty that nobody
// reads holds Close until it returns — possibly never: a virtual board
// whose host had gone hung in its shutdown that way.
func pollable(f *os.File) (*os.File, error) {
	name := f.Name()
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	f.Close()
	return os.NewFile(uintptr(fd), name), nil
}
