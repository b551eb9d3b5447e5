package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/somahw/soma/runtime"
	"github.com/somahw/soma/runtime/board"
	"github.com/somahw/soma/runtime/serialport"
)

// dialEndpoint opens a host-side endpoint: a serial port path, or
// tcp:HOST:PORT for a virtual board served with --listen.
func dialEndpoint(endpoint string, baud int) func() (runtime.Port, error) {
	return serialport.Dialer(endpoint, baud)
}

// writeAddr writes where a server can be reached to path (if set), for
// scripts that start it in the background; the file appears complete.
func writeAddr(path, endpoint string) error {
	if path == "" {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(endpoint+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func newLoadCmd() *cobra.Command {
	var port string
	var baud, retries int
	var progress bool
	cmd := &cobra.Command{
		Use:   "load IMAGE --port PORT",
		Short: "Load a compiled image onto a board over a serial link",
		Long: `Load writes a .spinn image or .soma program to the board on --port, verifies
it block by block and has the board check it. An interrupted load resumes
after reconnecting (--retries); blocks that fail verification are rewritten.

--port is a serial device (/dev/ttyUSB0, a pty from soma board serve --pty)
or tcp:HOST:PORT for a virtual board served with --listen.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			image, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			kind, err := runtime.ImageKind(image)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			opts := runtime.Options{Retries: retries}
			if progress && isTerminal(os.Stderr) && cmd.ErrOrStderr() == os.Stderr {
				bar := progressbar.DefaultBytes(int64(len(image)), "loading")
				opts.Progress = func(p runtime.Progress) { _ = bar.Set64(p.Bytes) }
				defer bar.Finish()
			}
			c, err := runtime.Dial(dialEndpoint(port, baud), opts)
			if err != nil {
				return err
			}
			defer c.Close()
			info := c.Info()
			fmt.Fprintf(cmd.OutOrStdout(), "board %s (%s, firmware %s, protocol %d.%d)\n", info.Board, info.Target, info.Firmware, info.Major, info.Minor)
			if err := c.Load(cmd.Context(), image, kind); err != nil {
				return err
			}
			r := c.Report()
			fmt.Fprintf(cmd.OutOrStdout(), "loaded %d bytes in %.2fs (%.0f B/s); %d frames, %d retransmitted, %d blocks rewritten, %d reconnects\n",
				r.ImageBytes, r.LoadSeconds, float64(r.ImageBytes)/max(r.LoadSeconds, 1e-9), r.Link.FramesSent, r.Link.Retransmits, r.BlocksRewritten, r.Reconnects)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&port, "port", "", "serial port of the board (or tcp:HOST:PORT)")
	fl.IntVar(&baud, "baud", serialport.DefaultBaud, "line rate")
	fl.IntVar(&retries, "retries", 3, "reconnections allowed if the line drops")
	fl.BoolVar(&progress, "progress", true, "show a progress bar when stderr is a terminal")
	_ = cmd.MarkFlagRequired("port")
	return cmd
}

func newPortsCmd() *cobra.Command {
	var baud int
	var probe bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "ports [PORT...]",
		Short: "List serial ports and the soma boards on them",
		Long: `Ports lists the serial ports, with the USB vendor:product IDs, product and
serial number where the system knows them, and says HELLO on each to find
which have a soma board: its name, target, firmware and state. A port that
does not answer within --timeout is not a soma board (or not at --baud);
the probe changes nothing on a board (a run another host streams goes on).

Ports given as arguments (serial devices, ptys, tcp:HOST:PORT) are probed
instead of the system's list.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var ports []serialport.PortInfo
			if len(args) > 0 {
				for _, a := range args {
					ports = append(ports, serialport.PortInfo{Name: a})
				}
			} else {
				var err error
				if ports, err = serialport.Ports(); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if len(ports) == 0 {
				fmt.Fprintln(out, "no serial ports found")
				return nil
			}
			// Probe every port at once: a silent one costs its timeout.
			found := make([]string, len(ports))
			if probe {
				var wg sync.WaitGroup
				for i, p := range ports {
					wg.Add(1)
					go func() {
						defer wg.Done()
						found[i] = probePort(p.Name, baud, timeout)
					}()
				}
				wg.Wait()
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			for i, p := range ports {
				fmt.Fprintf(tw, "%s\t%s\t%s", p.Name, orDash(p.USBID()), orDash(describeUSB(p)))
				if probe {
					fmt.Fprintf(tw, "\t%s", found[i])
				}
				fmt.Fprintln(tw)
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&baud, "baud", serialport.DefaultBaud, "line rate to probe at")
	fl.BoolVar(&probe, "probe", true, "say HELLO on each port to find soma boards")
	fl.DurationVar(&timeout, "timeout", 500*time.Millisecond, "how long a port has to answer")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// describeUSB is a port's manufacturer, product and serial number, as far
// as known.
func describeUSB(p serialport.PortInfo) string {
	var parts []string
	for _, s := range []string{p.Manufacturer, p.Product} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if p.Serial != "" {
		parts = append(parts, "serial "+p.Serial)
	}
	return strings.Join(parts, ", ")
}

// probePort says HELLO on a port and describes what answered. It never
// takes much longer than timeout, even if the device blocks writes or
// closing.
func probePort(name string, baud int, timeout time.Duration) string {
	type answer struct {
		info runtime.Info
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		port, err := dialEndpoint(name, baud)()
		if err != nil {
			ch <- answer{err: err}
			return
		}
		info, err := runtime.Probe(port, timeout)
		ch <- answer{info, err}
	}()
	var a answer
	select {
	case a = <-ch:
	case <-time.After(timeout + time.Second):
		a.err = fmt.Errorf("%w within %v (the port blocks)", runtime.ErrNoAnswer, timeout)
	}
	switch {
	case errors.Is(a.err, runtime.ErrNoAnswer):
		return "no soma board (no answer to HELLO)"
	case a.err != nil:
		return "cannot probe: " + a.err.Error()
	}
	i := a.info
	desc := fmt.Sprintf("soma board %q: target %s, firmware %s, protocol %d.%d, %s", i.Board, targetOrAny(i.Target), i.Firmware, i.Major, i.Minor, stateName(i.State))
	if i.Major != runtime.ProtocolMajor {
		desc += fmt.Sprintf(" (incompatible: this soma speaks %d.%d)", runtime.ProtocolMajor, runtime.ProtocolMinor)
	}
	return desc
}

func stateName(s uint8) string {
	switch s {
	case runtime.StateEmpty:
		return "empty"
	case runtime.StateLoading:
		return "loading"
	case runtime.StateLoaded:
		return "loaded"
	case runtime.StateRunning:
		return "running"
	case runtime.StateDone:
		return "run done"
	}
	return fmt.Sprintf("state %d", s)
}

func newBoardCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "board",
		Short: "Virtual boards: the board side of the serial link, backed by the emulator",
	}
	var opts board.Options
	var usePTY, verbose bool
	var listen, addrFile string
	serve := &cobra.Command{
		Use:   "serve (--pty | --listen HOST:PORT)",
		Short: "Serve a virtual board on a pseudo-terminal or a TCP port",
		Long: `Serve runs a virtual board: it speaks the link protocol
(docs/link-protocol.md), accepts SpiNNaker images and soma programs, checks
them and runs them on the emulator, streaming spikes back tick by tick.

  soma board serve --target spinn5 --pty          prints the pty to use as --port
  soma board serve --listen 127.0.0.1:7000        then --port tcp:127.0.0.1:7000

--listen 127.0.0.1:0 picks a free port; --addr-file writes the endpoint to
give as --port (the pty's path, or tcp:HOST:PORT) to a file, for scripts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if usePTY == (listen != "") {
				return fmt.Errorf("give exactly one of --pty and --listen")
			}
			if verbose {
				opts.Logf = func(format string, args ...any) { fmt.Fprintf(cmd.ErrOrStderr(), format+"\n", args...) }
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			b := board.New(opts)
			out := cmd.OutOrStdout()
			if usePTY {
				p, err := serialport.OpenPTY()
				if err != nil {
					return err
				}
				defer p.Close()
				fmt.Fprintf(out, "virtual board (%s) on %s\n", targetOrAny(opts.Target), p.Path)
				if err := writeAddr(addrFile, p.Path); err != nil {
					return err
				}
				err = b.Serve(ctx, p.Master)
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			defer ln.Close()
			go func() { <-ctx.Done(); ln.Close() }()
			fmt.Fprintf(out, "virtual board (%s) on tcp:%s\n", targetOrAny(opts.Target), ln.Addr())
			if err := writeAddr(addrFile, "tcp:"+ln.Addr().String()); err != nil {
				return err
			}
			for {
				c, err := ln.Accept()
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return err
				}
				// One host at a time, as on a serial line; the board's
				// memory survives between connections.
				_ = b.Serve(ctx, runtime.NewConnPort(c))
			}
		},
	}
	fl := serve.Flags()
	fl.StringVarP(&opts.Target, "target", "t", "", "the board's target (images for others are refused; empty accepts any)")
	fl.BoolVar(&usePTY, "pty", false, "serve on a new pseudo-terminal and print its path")
	fl.StringVar(&listen, "listen", "", "serve on a TCP address, e.g. 127.0.0.1:7000 (port 0: any free one)")
	fl.StringVar(&addrFile, "addr-file", "", "write the endpoint to use as --port to this file once serving")
	fl.IntVar(&opts.MaxImage, "max-image", 64<<20, "largest image accepted, bytes")
	fl.IntVar(&opts.Link.MaxPayload, "max-payload", runtime.DefaultMaxPayload, "largest frame payload, bytes")
	fl.BoolVarP(&verbose, "verbose", "v", false, "log sessions and errors on stderr")
	cmd.AddCommand(serve)
	return cmd
}

func targetOrAny(t string) string {
	if t == "" {
		return "any target"
	}
	return t
}

func newLinkProxyCmd() *cobra.Command {
	var to, listen, addrFile string
	var baud int
	var f runtime.Faults
	cmd := &cobra.Command{
		Use:   "link-proxy --to PORT [--listen HOST:PORT]",
		Short: "Forward a serial link through a new pty or TCP port, injecting faults",
		Long: `Link-proxy opens --to (the board's port, or tcp:HOST:PORT), creates a
pseudo-terminal for the host, prints its path, and forwards bytes both ways,
corrupting bits, dropping and duplicating bytes and frames, delaying, and
cutting the line at the given rates (reproducibly, from --seed).

With --listen the host connects over TCP instead (--port tcp:HOST:PORT);
each connection gets a new connection to --to, so a host can reconnect.
--addr-file writes the endpoint for the host to a file, for scripts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			out := cmd.OutOrStdout()
			report := func(px *runtime.Proxy) {
				st := px.Stats()
				for i, dir := range []string{"host→board", "board→host"} {
					s := st[i]
					fmt.Fprintf(out, "%s: %d bytes, %d bits flipped, %d bytes dropped, %d frames dropped, %d duplicated, %d cuts\n",
						dir, s.Bytes, s.BitsFlipped, s.BytesDropped, s.FramesDropped, s.FramesDuplicated, s.Cuts)
				}
			}
			proxy := func(host runtime.Port, conn int) (*runtime.Proxy, error) {
				boardSide, err := dialEndpoint(to, baud)()
				if err != nil {
					host.Close()
					return nil, err
				}
				up, back := f, f
				up.Seed += uint64(2 * conn)
				back.Seed += uint64(2*conn + 1)
				return runtime.NewProxy(host, boardSide, up, back), nil
			}
			if listen != "" {
				ln, err := net.Listen("tcp", listen)
				if err != nil {
					return err
				}
				defer ln.Close()
				go func() { <-ctx.Done(); ln.Close() }()
				fmt.Fprintf(out, "link proxy to %s on tcp:%s\n", to, ln.Addr())
				if err := writeAddr(addrFile, "tcp:"+ln.Addr().String()); err != nil {
					return err
				}
				for conn := 0; ; conn++ {
					c, err := ln.Accept()
					if err != nil {
						if ctx.Err() != nil {
							return nil
						}
						return err
					}
					px, err := proxy(runtime.NewConnPort(c), conn)
					if err != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "link-proxy: %v\n", err)
						continue
					}
					// One host at a time, as on a serial line.
					done := make(chan struct{})
					go func() {
						select {
						case <-ctx.Done():
							px.Close()
						case <-done:
						}
					}()
					px.Run()
					close(done)
					report(px)
				}
			}
			p, err := serialport.OpenPTY()
			if err != nil {
				return err
			}
			defer p.Close()
			px, err := proxy(p.Master, 0)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "link proxy to %s on %s\n", to, p.Path)
			if err := writeAddr(addrFile, p.Path); err != nil {
				return err
			}
			go func() { <-ctx.Done(); px.Close() }()
			px.Run()
			report(px)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&to, "to", "", "the board's port (or tcp:HOST:PORT)")
	fl.IntVar(&baud, "baud", serialport.DefaultBaud, "line rate of --to")
	fl.StringVar(&listen, "listen", "", "take the host's connections on this TCP address instead of a pty (port 0: any free one)")
	fl.StringVar(&addrFile, "addr-file", "", "write the endpoint for the host's --port to this file")
	fl.Float64Var(&f.BER, "ber", 0, "bit error rate")
	fl.Float64Var(&f.DropByte, "drop-byte", 0, "probability of losing a byte")
	fl.Float64Var(&f.DropFrame, "drop-frame", 0, "probability of losing a frame")
	fl.Float64Var(&f.DupFrame, "dup-frame", 0, "probability of duplicating a frame")
	fl.DurationVar(&f.Delay, "delay", 0, "latency added to every chunk")
	fl.Int64Var(&f.CutAfter, "cut-after", 0, "cut the line after this many bytes each way (0: never)")
	fl.DurationVar(&f.CutFor, "cut-for", 0, "how long a cut lasts (0: for good)")
	fl.Uint64Var(&f.Seed, "seed", 1, "random seed")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}
