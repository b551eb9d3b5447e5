package runtime

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrNoAnswer is returned by Probe when nothing answers HELLO.
var ErrNoAnswer = errors.New("no answer to HELLO")

// Probe says HELLO on port and returns the board's INFO, waiting at most
// timeout in all (the HELLO is repeated a few times within it). The HELLO
// is a probe (window 0): a board answers and changes nothing — no new
// session, so a run another host is streaming goes on. Probe closes port.
// Whatever else is on the port (another device's output) is ignored.
func Probe(port Port, timeout time.Duration) (Info, error) {
	if timeout <= 0 {
		timeout = 500 * time.Millisecond
	}
	l := NewLink(port, LinkOptions{})
	defer l.Close()
	nonce := rand.Uint32()
	hello := Hello{Major: ProtocolMajor, Minor: ProtocolMinor, Nonce: nonce, Window: 0, MaxPayload: uint16(l.Options().MaxPayload), Host: "soma ports"}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	const tries = 3
	every := time.NewTicker(timeout / tries)
	defer every.Stop()
	if err := l.SendControl(MsgHello, 0, hello.Marshal()); err != nil {
		return Info{}, err
	}
	for {
		select {
		case f := <-l.Control():
			if f.Type != MsgInfo {
				continue
			}
			info, err := ParseInfo(f.Payload)
			if err != nil || info.Nonce != nonce {
				continue
			}
			return info, nil
		case <-every.C:
			if err := l.SendControl(MsgHello, 0, hello.Marshal()); err != nil {
				return Info{}, err
			}
		case <-l.Done():
			return Info{}, l.Err()
		case <-deadline.C:
			return Info{}, fmt.Errorf("%w within %v", ErrNoAnswer, timeout)
		}
	}
}
