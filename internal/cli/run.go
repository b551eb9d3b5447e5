package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/backends/fpga"
	"github.com/somahw/soma/backends/spinnaker"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/results"
	"github.com/somahw/soma/runtime"
	"github.com/somahw/soma/runtime/serialport"
	"github.com/somahw/soma/target"
	"github.com/somahw/soma/testbench/reference"
)

type runFlags struct {
	nir      nirFlags
	port     string
	baud     int
	retries  int
	pace     time.Duration
	out      string
	json     bool
	inputs   []string
	engine   string
	target   string
	seed     int64
	duration string
	progress bool
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run MODEL",
		Short: "Simulate a model and report spikes and rates per population",
		Long: `Run simulates a model file and prints spikes and mean rate per population.

The default engine is the cycle-level emulator: the model is compiled for
--target (a SpiNN-5 board unless told otherwise) and the compiled program
runs as the hardware would, in fixed point, with its event counters,
timer-tick overruns and dropped packets reported. --engine reference runs the
float64 reference simulator instead (exact integration; docs/semantics.md).

With -o DIR it writes:
  DIR/spikes.csv      population,neuron,step,time_s — sorted by step, population, neuron
  DIR/recording.npz   every probe, for numpy: d = np.load("recording.npz")
  DIR/raster.svg      a raster plot
  DIR/summary.json    per population neurons, spikes, mean_rate_hz; timings

With --port the compiled program runs on a board (a serial port, or
tcp:HOST:PORT for a virtual board): it is loaded over the link, run, and
its spikes stream back; on a terminal a live line shows the ticks and
model time received and the spike rates over the last second. --pace
sets the board's wall time per tick. An interrupt (Ctrl-C) stops the run
at the board's next tick: the outputs hold the ticks that ran, the error
says which did not, and the exit status is 1; a second interrupt aborts.

--input POP=FILE replays spikes into a spike-source population: a CSV with
columns neuron,step (or the spikes.csv format), or a .npy 0/1 array of shape
[steps, neurons].`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModel(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "out", "o", "", "write spikes.csv, recording.npz, raster.svg and summary.json into this directory")
	fl.BoolVar(&f.json, "json", false, "print the summary as JSON on stdout")
	fl.StringArrayVar(&f.inputs, "input", nil, "replay a spike file into a source population: POP=FILE (.csv or .npy); repeatable")
	fl.StringVar(&f.engine, "engine", "emu", "simulation engine: emu (the compiled program on the emulator) or reference (float64)")
	fl.StringVarP(&f.target, "target", "t", "spinn5", "hardware target the emulator runs (soma targets lists them)")
	fl.Int64Var(&f.seed, "seed", -1, "override the model's run seed")
	fl.StringVar(&f.duration, "duration", "", "override the model's run duration (e.g. 200ms)")
	fl.BoolVar(&f.progress, "progress", true, "show a progress bar when stderr is a terminal")
	fl.StringVar(&f.port, "port", "", "run on the board on this serial port (or tcp:HOST:PORT): compile, load over the link, run, stream the spikes back")
	fl.IntVar(&f.baud, "baud", 3000000, "line rate of --port")
	fl.DurationVar(&f.pace, "pace", 0, "with --port, wall time the board spends per tick (e.g. 1ms: real time for a 1 ms timestep; 0: as fast as it can)")
	fl.IntVar(&f.retries, "retries", 3, "reconnections to try when the link drops (loads resume from the last verified block)")
	f.nir.add(cmd)
	return cmd
}

func runModel(cmd *cobra.Command, path string, f runFlags) error {
	start := time.Now()
	if f.engine != "reference" && f.engine != "emu" {
		return fmt.Errorf("unknown engine %q; available: emu, reference", f.engine)
	}
	if isCompiled(path) {
		return runCompiled(cmd, path, f, start)
	}
	m, err := loadModel(cmd, path, f.nir)
	if err != nil {
		return err
	}
	net := m.net
	if f.seed >= 0 {
		net.Run.Seed = uint64(f.seed)
	}
	if f.duration != "" {
		d, err := ir.ParseQuantity(f.duration, ir.Time)
		if err != nil {
			return fmt.Errorf("--duration: %v", err)
		}
		net.Run.Duration = d
	}
	exp, err := ir.Expand(net)
	if err != nil {
		return err
	}
	// NIR's input at step n acts in step n; soma delivers a source's
	// spikes a step after it sends them, so a NIR Input sends one early.
	shift := 0
	if m.nir != nil {
		shift = 1
	}
	for _, in := range f.inputs {
		if err := applyInput(exp, in, shift); err != nil {
			return err
		}
	}
	if f.port != "" {
		t, err := target.Load(f.target)
		if err != nil {
			return err
		}
		comp, err := compiler.CompileExpanded(exp, t, compiler.Options{})
		if err != nil {
			return err
		}
		return runOnPort(cmd, comp.Program, t, f, start)
	}
	var emulator *emu.Emulator
	if f.engine == "emu" {
		t, err := target.Load(f.target)
		if err != nil {
			return err
		}
		comp, err := compiler.CompileExpanded(exp, t, compiler.Options{})
		if err != nil {
			return err
		}
		for _, w := range comp.Report.Warnings {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
		}
		if t.Kind == target.KindFPGA {
			// The emulator runs what the part could not hold; say so
			// before the user takes the result to the board.
			for _, w := range fpgaFit(comp.Program, t) {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
			}
		}
		emulator, err = emu.New(comp.Program, program.NewMachine(t), emu.Options{})
		if err != nil {
			return err
		}
	}
	buildS := time.Since(start).Seconds()

	var progress func(done, total int)
	var bar *progressbar.ProgressBar
	if f.progress && isTerminal(os.Stderr) && cmd.ErrOrStderr() == os.Stderr {
		bar = progressbar.NewOptions(net.Run.Steps(),
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("simulating"),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
		progress = func(done, _ int) { _ = bar.Set(done) }
	}
	var res *results.Result
	var counters *emu.Counters
	if emulator != nil {
		emulator.SetProgress(progress)
		res, counters, err = emulator.Run()
	} else {
		res, err = reference.Run(exp, reference.Options{Progress: progress})
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	res.Timings.BuildS = buildS
	res.Timings.TotalS = time.Since(start).Seconds()
	if done, err := finish(cmd, f, res, counters); done || err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	writeRunSummary(out, net, exp, res)
	if counters != nil {
		counters.WriteSummary(out)
	}
	if f.out != "" {
		files := outputFiles(f.out)
		if counters != nil {
			files = append(files, filepath.Join(f.out, "counters.json"))
		}
		fmt.Fprintf(out, "wrote %s\n", strings.Join(files, ", "))
	}
	return nil
}

var outputNames = []string{"spikes.csv", "recording.npz", "raster.svg", "summary.json"}

func outputFiles(dir string) []string {
	out := make([]string, len(outputNames))
	for i, n := range outputNames {
		out[i] = filepath.Join(dir, n)
	}
	return out
}

// writeOutputs writes each file completely in memory first, so a failed
// run never leaves a half-written file that looks like a result.
func writeOutputs(dir string, res *results.Result, counters *emu.Counters) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	writers := []func(io.Writer) error{
		res.WriteSpikesCSV,
		res.WriteNPZ,
		func(w io.Writer) error { return res.WriteRasterSVG(w, results.RasterOptions{}) },
		res.WriteSummaryJSON,
	}
	for i, write := range writers {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			return fmt.Errorf("writing %s: %w", outputNames[i], err)
		}
		if err := os.WriteFile(filepath.Join(dir, outputNames[i]), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if counters != nil {
		b, err := json.MarshalIndent(counters, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "counters.json"), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeRunSummary(w io.Writer, net *ir.Network, exp *ir.Expanded, res *results.Result) {
	name := net.Name
	if name == "" {
		name = net.File
	}
	fmt.Fprintf(w, "%s: %d neurons, %d synapses; %d steps of %s on the %s engine\n",
		name, net.NumNeurons(), exp.NumSynapses(), res.Steps, ir.FormatQuantity(res.Timestep, ir.Time), res.Engine)
	recorded := map[string]bool{}
	for _, pb := range net.Probes {
		if pb.Variable == "spikes" {
			recorded[pb.Population] = true
		}
	}
	writeRates(w, res, recorded)
	t := res.Timings
	fmt.Fprintf(w, "time: build %.3fs, run %.3fs, total %.3fs\n", t.BuildS, t.RunS, t.TotalS)
}

// writeRates prints spikes and mean rate per population; populations
// whose spikes were not recorded (when some were) show dashes.
func writeRates(w io.Writer, res *results.Result, recorded map[string]bool) {
	sum := res.Summary()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "population\tneurons\tspikes\trate (Hz)\t")
	for _, p := range sum.Populations {
		if len(recorded) > 0 && !recorded[p.Name] {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t\n", p.Name, p.Neurons)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t\n", p.Name, p.Neurons, p.Spikes, p.MeanRateHz)
	}
	tw.Flush()
}

// applyInput replays a spike file into a spike-source population,
// replacing the trains the model file gave it.
func applyInput(exp *ir.Expanded, spec string, shift int) error {
	popName, file, ok := strings.Cut(spec, "=")
	if !ok || popName == "" || file == "" {
		return fmt.Errorf("--input %q: expected POP=FILE", spec)
	}
	idx := exp.Net.PopulationIndex(popName)
	if idx < 0 {
		return fmt.Errorf("--input %s: no population %q in the model", spec, popName)
	}
	ep := exp.Populations[idx]
	if !ep.IsSource() {
		return fmt.Errorf("--input %s: population %s is a %s; spikes can only be replayed into spike_source_array or spike_source_poisson populations", spec, popName, ep.Model)
	}
	fh, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("--input %s: %w", spec, err)
	}
	defer fh.Close()
	var spikes []results.Spike
	if strings.EqualFold(filepath.Ext(file), ".npy") {
		_, neurons, sp, err := results.ReadSpikesNPY(fh)
		if err != nil {
			return fmt.Errorf("--input %s: %w", spec, err)
		}
		if neurons != ep.Size {
			return fmt.Errorf("--input %s: the array has %d neurons (columns) but %s has %d", spec, neurons, popName, ep.Size)
		}
		spikes = sp
	} else {
		sp, err := results.ReadSpikesCSV(fh, []results.Population{{Name: popName, Size: ep.Size, Model: string(ep.Model)}})
		if err != nil {
			return fmt.Errorf("--input %s: %w", spec, err)
		}
		spikes = sp
	}
	steps := exp.Net.Run.Steps()
	trains := make([][]int32, ep.Size)
	for _, s := range spikes {
		if int(s.Neuron) >= ep.Size || s.Neuron < 0 {
			return fmt.Errorf("--input %s: neuron %d is outside %s (%d neurons)", spec, s.Neuron, popName, ep.Size)
		}
		if int(s.Step) >= steps {
			return fmt.Errorf("--input %s: a spike at step %d lies after the run's last step %d; lengthen the run (--duration) or trim the file", spec, s.Step, steps-1)
		}
		if int(s.Step) < shift {
			return fmt.Errorf("--input %s: a spike at step %d cannot act at its own step: soma delivers a source's spikes one step after they are sent, so NIR inputs are sent a step early; start the input with a silent step", spec, s.Step)
		}
		trains[s.Neuron] = append(trains[s.Neuron], s.Step-int32(shift))
	}
	for i := range trains {
		slices.Sort(trains[i])
		trains[i] = slices.Compact(trains[i])
		if trains[i] == nil {
			trains[i] = []int32{}
		}
	}
	ep.SpikeSteps = trains
	return nil
}

// runCompiled runs a compiled program (a .soma file or SpiNNaker image) on
// the emulator: what a board would be given, checked before it goes there.
func runCompiled(cmd *cobra.Command, path string, f runFlags, start time.Time) error {
	if f.engine != "emu" {
		return fmt.Errorf("%s is a compiled program: it runs on the emulator (--engine emu), not the reference simulator, which needs the model", path)
	}
	if len(f.inputs) > 0 || f.seed >= 0 || f.duration != "" {
		return fmt.Errorf("%s is a compiled program: --input, --seed and --duration change the model; recompile it instead", path)
	}
	p, err := readProgram(path)
	if err != nil {
		return err
	}
	t, err := target.Load(p.Target)
	if err != nil {
		return err
	}
	if f.port != "" {
		return runOnPort(cmd, p, t, f, start)
	}
	e, err := emu.New(p, program.NewMachine(t), emu.Options{})
	if err != nil {
		return err
	}
	buildS := time.Since(start).Seconds()
	res, counters, err := e.Run()
	if err != nil {
		return err
	}
	res.Timings.BuildS = buildS
	res.Timings.TotalS = time.Since(start).Seconds()
	if done, err := finish(cmd, f, res, counters); done || err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	neurons := 0
	for _, pop := range p.Populations {
		neurons += int(pop.Size)
	}
	fmt.Fprintf(out, "%s (compiled for %s): %d neurons; %d steps of %s on the emu engine\n",
		res.Network, p.Target, neurons, res.Steps, ir.FormatQuantity(res.Timestep, ir.Time))
	writeRates(out, res, recordedPops(p))
	t2 := res.Timings
	fmt.Fprintf(out, "time: build %.3fs, run %.3fs, total %.3fs\n", t2.BuildS, t2.RunS, t2.TotalS)
	counters.WriteSummary(out)
	return nil
}

// runOnPort loads a compiled program onto the board on --port, runs it and
// writes what came back like any run. A run the link could not complete
// says exactly which ticks' spikes are missing.
func runOnPort(cmd *cobra.Command, p *program.Program, t *target.Target, f runFlags, start time.Time) error {
	var image []byte
	var err error
	if t.Kind == target.KindSpiNNaker && t.Machine.Boards <= 1 {
		image, err = spinnaker.Encode(p)
	} else {
		image, err = program.Encode(p)
	}
	if err != nil {
		return err
	}
	if f.pace < 0 || f.pace.Microseconds() > math.MaxUint32 {
		return fmt.Errorf("--pace %v: want 0 or a duration up to %v per tick", f.pace, time.Duration(math.MaxUint32)*time.Microsecond)
	}
	opts := runtime.BoardRunOptions{Client: runtime.Options{Retries: f.retries}, Run: runtime.RunOptions{PaceMicros: uint32(f.pace.Microseconds())}}
	var live *liveRun
	if f.progress && isTerminal(os.Stderr) && cmd.ErrOrStderr() == os.Stderr {
		bar := progressbar.DefaultBytes(int64(len(image)), "loading")
		opts.Client.Progress = func(pr runtime.Progress) { _ = bar.Set64(int64(pr.Bytes)) }
		live = newLiveRun(p)
		opts.Run.OnTick = live.tick
	}
	// The first interrupt (or the command's context ending) stops the run
	// at the board's next tick and keeps what ran; a second aborts.
	stop := make(chan struct{})
	opts.Run.Stop = stop
	ctx, abort := context.WithCancel(context.WithoutCancel(cmd.Context()))
	defer abort()
	release := watchInterrupts(cmd.Context(), stop, abort, func(msg string) { live.say(cmd.ErrOrStderr(), msg) })
	res, rep, err := serialport.RunOnBoard(ctx, f.port, f.baud, image, opts)
	release()
	live.finish()
	if ctx.Err() != nil && err != nil {
		return fmt.Errorf("aborted by the user; nothing written: %w", err)
	}
	var stopped *runtime.StoppedError
	if errors.As(err, &stopped) {
		if stopped.Loading {
			return fmt.Errorf("stopped by the user during the load: nothing ran, nothing written")
		}
		err = nil
	}
	if err != nil {
		if rep != nil && len(rep.Missing) > 0 {
			return fmt.Errorf("%w\nticks whose spikes did not arrive: %v", err, rep.Missing)
		}
		return err
	}
	res.Timings.TotalS = time.Since(start).Seconds()
	account := func() error {
		if stopped == nil {
			return nil
		}
		where := "reported above"
		if f.out != "" {
			where = "written to " + f.out
		}
		return fmt.Errorf("stopped by the user at tick %d of %d: %s", stopped.At, stopped.Ticks, stopped.Account(where))
	}
	if done, err := finish(cmd, f, res, nil); done || err != nil {
		if err != nil {
			return err
		}
		return account()
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%s on the board at %s (%s): %d steps of %s\n", res.Network, f.port, t.Name, res.Steps, ir.FormatQuantity(res.Timestep, ir.Time))
	writeRates(out, res, recordedPops(p))
	fmt.Fprintf(out, "link: %d frames sent, %d retransmitted, %d reconnects; total %.3fs\n", rep.Link.FramesSent, rep.Link.Retransmits, rep.Reconnects, res.Timings.TotalS)
	return account()
}

// watchInterrupts closes stop at the first interrupt (or when parent
// ends) and calls abort at the second; release stops watching.
func watchInterrupts(parent context.Context, stop chan struct{}, abort func(), say func(string)) (release func()) {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-sig:
		case <-parent.Done():
		case <-quit:
			return
		}
		say("soma: stopping the run at the board's next tick (interrupt again to abort)")
		close(stop)
		select {
		case <-sig:
			say("soma: aborting")
			abort()
		case <-quit:
		}
	}()
	return func() {
		signal.Stop(sig)
		close(quit)
		wg.Wait()
	}
}

// finish writes a run's outputs (with -o) and, with --json, prints its
// summary; it reports whether the summary was printed, so callers print
// their own text otherwise.
func finish(cmd *cobra.Command, f runFlags, res *results.Result, counters *emu.Counters) (bool, error) {
	if f.out != "" {
		if err := writeOutputs(f.out, res, counters); err != nil {
			return false, err
		}
	}
	if f.json {
		return true, res.WriteSummaryJSON(cmd.OutOrStdout())
	}
	return false, nil
}

// recordedPops names the populations whose spikes a program records.
func recordedPops(p *program.Program) map[string]bool {
	recorded := map[string]bool{}
	for _, c := range p.Cores {
		if c.Record.Spikes != nil {
			recorded[p.Populations[c.Pop].Name] = true
		}
	}
	return recorded
}

// liveRun shows a run on a board as its spikes stream back: ticks
// received, model time, and the spike rate over the last second — the
// link's spikes per second of wall time and each recorded population's
// mean rate. Only on a terminal: pipes and logs get the plain summary.
type liveRun struct {
	mu       sync.Mutex // tick (Run's goroutine) and say (the interrupt watcher)
	bar      *progressbar.ProgressBar
	meter    *runtime.RateMeter
	total    int
	timestep float64
	names    []string
	shown    []int // populations whose rates are shown (those recording spikes)
	last     time.Time
}

func newLiveRun(p *program.Program) *liveRun {
	sizes := make([]int, len(p.Populations))
	names := make([]string, len(p.Populations))
	recorded := recordedPops(p)
	var shown []int
	for i, pop := range p.Populations {
		sizes[i], names[i] = int(pop.Size), pop.Name
		if recorded[pop.Name] {
			shown = append(shown, i)
		}
	}
	return &liveRun{
		meter: runtime.NewRateMeter(sizes, p.Timestep, time.Second, time.Now()),
		total: int(p.Steps), timestep: p.Timestep, names: names, shown: shown,
	}
}

// tick is Run's OnTick: it counts the tick and redraws at most ten times
// a second.
func (l *liveRun) tick(_ int, spikes [][2]uint32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.meter.Tick(now, spikes)
	if now.Sub(l.last) < 100*time.Millisecond {
		return
	}
	l.last = now
	if l.bar == nil {
		l.bar = progressbar.NewOptions(l.total,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetWidth(20),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionClearOnFinish())
	}
	r := l.meter.Rates(now)
	_ = l.bar.Set(min(r.Ticks, l.total))
	l.bar.Describe(liveLine(r, l.total, l.timestep, l.names, l.shown))
}

// finish clears the display (nil-safe: no display off a terminal).
func (l *liveRun) finish() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bar != nil {
		_ = l.bar.Clear()
		_ = l.bar.Exit()
	}
}

// say prints a line on w above the display (nil-safe).
func (l *liveRun) say(w io.Writer, msg string) {
	if l != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.bar != nil {
			_ = l.bar.Clear()
		}
	}
	fmt.Fprintln(w, msg)
}

// liveLine is the live display's text: ticks and model time received,
// the link's spike rate, and the shown populations' rates (the first
// four; the count of the rest).
func liveLine(r runtime.Rates, total int, timestep float64, names []string, shown []int) string {
	var b strings.Builder
	unit, scale, prec := "s", 1.0, 3
	if float64(total)*timestep < 1 {
		unit, scale, prec = "ms", 1e3, 1
	}
	fmt.Fprintf(&b, "%d/%d ticks, %.*f/%.*f %s; %s spikes/s", r.Ticks, total,
		prec, float64(r.Ticks)*timestep*scale, prec, float64(total)*timestep*scale, unit, siCount(r.SpikesPerSecond))
	if r.PopHz == nil {
		b.WriteString(" (no ticks in the last second)")
		return b.String()
	}
	for k, i := range shown {
		if k == 4 {
			fmt.Fprintf(&b, " +%d more", len(shown)-k)
			break
		}
		sep := ", "
		if k == 0 {
			sep = "; "
		}
		fmt.Fprintf(&b, "%s%s %.1f Hz", sep, names[i], r.PopHz[i])
	}
	return b.String()
}

// siCount writes a rate with a k or M suffix: 950, 35.2k, 1.25M.
func siCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// fpgaFit is what soma compile's fit check would say of a program for an
// FPGA target, as warnings: the emulator runs any program, but a design
// the part cannot hold (or the engine RTL cannot build) never reaches a
// board.
func fpgaFit(p *program.Program, t *target.Target) []string {
	_, warnings, err := fpga.Check(p, t)
	if err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		return append(warnings, first+"; the emulator runs it, but soma compile refuses it for this part (soma compile --target "+t.Name+" says what to change)")
	}
	return warnings
}
