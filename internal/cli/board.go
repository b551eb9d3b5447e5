package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
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
	if addr, ok := strings.CutPrefix(endpoint, "tcp:"); ok {
		return func() (runtime.Port, error) {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				return nil, err
			}
			return runtime.NewConnPort(c), nil
		}
	}
	return serialport.Dialer(endpoint, baud)
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
	return &cobra.Command{
		Use:   "ports",
		Short: "List serial ports",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ports, err := serialport.List()
			if err != nil {
				return err
			}
			if len(ports) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no serial ports found")
			}
			for _, p := range ports {
				fmt.Fprintln(cmd.OutOrStdout(), p)
			}
			return nil
		},
	}
}

func newBoardCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "board",
		Short: "Virtual boards: the board side of the serial link, backed by the emulator",
	}
	var opts board.Options
	var usePTY, verbose bool
	var listen string
	serve := &cobra.Command{
		Use:   "serve (--pty | --listen HOST:PORT)",
		Short: "Serve a virtual board on a pseudo-terminal or a TCP port",
		Long: `Serve runs a virtual board: it speaks the link protocol
(docs/link-protocol.md), accepts SpiNNaker images and soma programs, checks
them and runs them on the emulator, streaming spikes back tick by tick.

  soma board serve --target spinn5 --pty          prints the pty to use as --port
  soma board serve --listen 127.0.0.1:7000        then --port tcp:127.0.0.1:7000`,
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
	fl.StringVar(&listen, "listen", "", "serve on a TCP address, e.g. 127.0.0.1:7000")
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
	var to string
	var baud int
	var f runtime.Faults
	cmd := &cobra.Command{
		Use:   "link-proxy --to PORT",
		Short: "Forward a serial link through a new pty, injecting faults",
		Long: `Link-proxy opens --to (the board's port, or tcp:HOST:PORT), creates a
pseudo-terminal for the host, prints its path, and forwards bytes both ways,
corrupting bits, dropping and duplicating bytes and frames, delaying, and
cutting the line at the given rates (reproducibly, from --seed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			boardSide, err := dialEndpoint(to, baud)()
			if err != nil {
				return err
			}
			p, err := serialport.OpenPTY()
			if err != nil {
				boardSide.Close()
				return err
			}
			defer p.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "link proxy to %s on %s\n", to, p.Path)
			back := f
			back.Seed++
			px := runtime.NewProxy(p.Master, boardSide, f, back)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			go func() { <-ctx.Done(); px.Close() }()
			px.Run()
			st := px.Stats()
			for i, dir := range []string{"host→board", "board→host"} {
				s := st[i]
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d bytes, %d bits flipped, %d bytes dropped, %d frames dropped, %d duplicated, %d cuts\n",
					dir, s.Bytes, s.BitsFlipped, s.BytesDropped, s.FramesDropped, s.FramesDuplicated, s.Cuts)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&to, "to", "", "the board's port (or tcp:HOST:PORT)")
	fl.IntVar(&baud, "baud", serialport.DefaultBaud, "line rate of --to")
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
