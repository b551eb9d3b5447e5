package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/somahw/soma/backends/spinnaker"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/results"
)

// BoardRunOptions are RunOnBoard's options: the client's and the run's.
type BoardRunOptions struct {
	Client Options
	Run    RunOptions
}

// ImageKind returns the LOAD kind of image bytes from their magic.
func ImageKind(image []byte) (uint8, error) {
	switch {
	case bytes.HasPrefix(image, []byte(spinnaker.Magic)):
		return KindSpiNNaker, nil
	case bytes.HasPrefix(image, []byte("SOMAPROG")):
		return KindProgram, nil
	}
	return 0, fmt.Errorf("not a board image: neither a SpiNNaker image (%q) nor a soma program (\"SOMAPROG\")", spinnaker.Magic)
}

// DecodeImage decodes image bytes of either kind (the host needs the
// program's populations and timestep to build the result).
func DecodeImage(image []byte) (*program.Program, uint8, error) {
	kind, err := ImageKind(image)
	if err != nil {
		return nil, 0, err
	}
	var p *program.Program
	if kind == KindSpiNNaker {
		p, err = spinnaker.Decode(image)
	} else {
		p, err = program.Decode(image)
	}
	return p, kind, err
}

// RunOnBoard connects with dial, loads image (a .spinn image or a .soma
// program), runs it and returns its spikes as a results.Result like every
// other engine's (Engine "board"), and the link's report. On a partial run
// it returns the ticks received, the report naming the missing ones, and
// an *IncompleteError. A run stopped with opts.Run.Stop returns the ticks
// before the stop (Steps is their number) and a *StoppedError; a stop
// during the load abandons it.
func RunOnBoard(ctx context.Context, dial func() (Port, error), image []byte, opts BoardRunOptions) (*results.Result, *Report, error) {
	start := time.Now()
	p, kind, err := DecodeImage(image)
	if err != nil {
		return nil, nil, err
	}
	c, err := Dial(dial, opts.Client)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	if err := loadUnlessStopped(ctx, c, image, kind, opts.Run.Stop); err != nil {
		if errors.Is(err, errStoppedLoading) {
			n := int(p.Steps)
			if opts.Run.Ticks != TicksProgram && opts.Run.Ticks != TicksUntilStopped {
				n = int(opts.Run.Ticks)
			}
			err = &StoppedError{Ticks: n, Loading: true}
		}
		return nil, c.Report(), err
	}
	runStart := time.Now()
	r, runErr := c.Run(ctx, opts.Run)
	if runErr != nil && r == nil {
		return nil, c.Report(), runErr
	}
	var stopped *StoppedError
	whole := runErr == nil || errors.As(runErr, &stopped) // every tick that ran arrived
	if whole {
		_, _ = c.Counters(ctx)
	}
	steps := r.Ticks
	if r.StoppedAt >= 0 {
		steps = r.StoppedAt
	}
	res := &results.Result{Engine: "board", Network: p.Network, Timestep: p.Timestep, Steps: steps}
	for _, pop := range p.Populations {
		res.Populations = append(res.Populations, results.Population{Name: pop.Name, Size: int(pop.Size), Model: pop.Model})
	}
	res.Spikes = r.Result()
	if probes := tracedProbes(p); whole && len(probes) > 0 {
		// The analogue probes' samples, for the ticks that ran.
		tr, err := c.Traces(ctx, 0, steps)
		if err != nil {
			err = fmt.Errorf("the spikes of every tick that ran arrived, but the recorded traces (%s) did not: %w", strings.Join(probes, ", "), err)
			if runErr != nil {
				err = fmt.Errorf("%w; %v", err, runErr)
			}
			return res, c.Report(), err
		}
		res.Traces = tr
	}
	res.Timings.BuildS = runStart.Sub(start).Seconds()
	res.Timings.RunS = time.Since(runStart).Seconds()
	res.Timings.TotalS = time.Since(start).Seconds()
	return res, c.Report(), runErr
}

// Result flattens the received ticks into spikes in the canonical order
// (step, population, neuron — the order the board sends them in).
func (r *Run) Result() []results.Spike {
	var out []results.Spike
	for t, tick := range r.Spikes {
		for _, s := range tick {
			out = append(out, results.Spike{Pop: int32(s[0]), Neuron: int32(s[1]), Step: int32(t)})
		}
	}
	tmp := results.Result{Spikes: out}
	tmp.Sort()
	return tmp.Spikes
}

var errStoppedLoading = errors.New("stopped while loading")

// loadUnlessStopped loads the image, abandoning the load if stop closes.
func loadUnlessStopped(ctx context.Context, c *Client, image []byte, kind uint8, stop <-chan struct{}) error {
	if stop == nil {
		return c.Load(ctx, image, kind)
	}
	lctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-stop:
			cancel(errStoppedLoading)
		case <-done:
		}
	}()
	err := c.Load(lctx, image, kind)
	if err != nil && context.Cause(lctx) == errStoppedLoading {
		return errStoppedLoading
	}
	return err
}

// tracedProbes names the analogue probes a program records
// (population.variable, projection.weights), in program order.
func tracedProbes(p *program.Program) []string {
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, c := range p.Cores {
		for _, v := range c.Record.Vars {
			add(p.Populations[c.Pop].Name + "." + v.Field)
		}
		for _, w := range c.Record.Weights {
			add(w.Projection + ".weights")
		}
	}
	return out
}
