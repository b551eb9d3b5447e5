package results

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DefaultMaxRasterSpikes is the number of spikes above which WriteRasterSVG
// draws a subsample: past a few hundred thousand ticks a raster is a solid
// block anyway, and the SVG grows by ~30 bytes a spike.
const DefaultMaxRasterSpikes = 200_000

// RasterOptions configures WriteRasterSVG. The zero value is usable.
type RasterOptions struct {
	// Width and Height of the figure in inches; zero means 8 by 5.
	Width, Height float64
	// TimeUnit of the x axis: "s" or "ms". Empty chooses ms for runs
	// shorter than 10 s and s otherwise.
	TimeUnit string
	// Title replaces the default "<network> (<engine>): N spikes".
	Title string
	// MaxSpikes caps the spikes drawn; zero means DefaultMaxRasterSpikes.
	// Above it a deterministic subsample is drawn and the title says so.
	MaxSpikes int
}

// rasterColors is the Tableau 10 palette: distinguishable, and printable in
// greyscale well enough; populations cycle through it.
var rasterColors = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0x7f, 0x7f, 0x7f, 0xff}, // grey
	{0xbc, 0xbd, 0x22, 0xff}, // olive
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// WriteRasterSVG draws a spike raster as SVG with gonum.org/v1/plot: time
// on x, neuron on y, the populations stacked bottom-up in network order, each
// in its own colour, labelled in that colour right of the plot and separated
// by a grey line. Each spike is a short
// vertical tick; all ticks of a population go into one SVG path, which keeps
// the file small and the drawing fast.
//
// Runs with more than opts.MaxSpikes spikes are thinned to about that many by
// a hash of (population, neuron, step) — deterministic, and unlike taking
// every k-th spike it cannot alias with periodic firing. The output bytes
// depend only on r and opts.
func (r *Result) WriteRasterSVG(w io.Writer, opts RasterOptions) error {
	for i, s := range r.Spikes {
		if err := r.checkSpike(s); err != nil {
			return fmt.Errorf("results: raster: spike %d: %w", i, err)
		}
	}
	width, height := opts.Width, opts.Height
	if width <= 0 {
		width = 8
	}
	if height <= 0 {
		height = 5
	}
	maxSpikes := opts.MaxSpikes
	if maxSpikes <= 0 {
		maxSpikes = DefaultMaxRasterSpikes
	}
	dur := float64(r.Steps) * r.Timestep
	unit := opts.TimeUnit
	if unit == "" {
		unit = "ms"
		if dur >= 10 {
			unit = "s"
		}
	}
	var scale float64
	switch unit {
	case "s":
		scale = 1
	case "ms":
		scale = 1e3
	default:
		return fmt.Errorf("results: raster: time unit %q; want s or ms", unit)
	}

	spikes := r.sortedSpikes()
	total := len(spikes)
	if total > maxSpikes {
		thin := make([]Spike, 0, maxSpikes+maxSpikes/8)
		for _, s := range spikes {
			if spikeHash(s)%uint64(total) < uint64(maxSpikes) {
				thin = append(thin, s)
			}
		}
		spikes = thin
	}

	title := opts.Title
	if title == "" {
		title = fmt.Sprintf("%s (%s): %d spikes", r.Network, r.Engine, total)
	}
	if len(spikes) < total {
		title += fmt.Sprintf("\nshowing a deterministic subsample of %d of %d spikes", len(spikes), total)
	}

	p := plot.New()
	// Plain text: population and network names are not LaTeX.
	p.Title.Text = title
	p.X.Label.Text = "time (" + unit + ")"
	p.Y.Label.Text = "neuron (populations stacked)"
	offsets := make([]int, len(r.Populations)+1)
	for i, pop := range r.Populations {
		offsets[i+1] = offsets[i] + pop.Size
	}
	p.X.Min, p.X.Max = 0, dur*scale
	p.Y.Min, p.Y.Max = 0, float64(offsets[len(r.Populations)])
	// gonum needs a non-empty range to lay out an axis.
	if p.X.Max <= p.X.Min {
		p.X.Max = p.X.Min + 1
	}
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
	ra := &raster{r: r, spikes: spikes, offsets: offsets, scale: scale}
	p.Add(ra)

	// This is plot.WriterTo(w, h, "svg") with margins: population labels go
	// right of the data area (where they cannot hide spikes), and gonum
	// otherwise lets the last x tick label and the title touch the edges.
	right := vg.Length(8)
	for i, pop := range r.Populations {
		right = max(right, ra.labelStyle(p, i).Width(pop.Name)+ra.labelGap()+4)
	}
	c := vgsvg.New(vg.Length(width)*vg.Inch, vg.Length(height)*vg.Inch)
	p.Draw(draw.Crop(draw.New(c), 0, -right, 0, -4))
	_, err := c.WriteTo(w)
	return err
}

// spikeHash mixes a spike's coordinates (splitmix64's finaliser) for
// subsampling.
func spikeHash(s Spike) uint64 {
	x := uint64(uint32(s.Step))<<32 | uint64(uint32(s.Neuron))
	x ^= uint64(uint32(s.Pop)) * 0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// raster is the plot.Plotter that draws the ticks, separators and labels.
type raster struct {
	r       *Result
	spikes  []Spike // canonical order, maybe thinned
	offsets []int   // offsets[i] is the y of population i's neuron 0
	scale   float64 // seconds → axis unit
}

// Plot implements plot.Plotter.
func (ra *raster) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	// Tick height: 80% of a neuron's band, but never thinner than a hairline
	// so that large populations stay visible.
	h := (trY(1) - trY(0)) * 0.8
	if h < 0.6 {
		h = 0.6
	}
	pops := ra.r.Populations
	paths := make([]vg.Path, len(pops))
	for _, s := range ra.spikes {
		x := trX(float64(s.Step) * ra.r.Timestep * ra.scale)
		y := trY(float64(ra.offsets[s.Pop]+int(s.Neuron)) + 0.5)
		paths[s.Pop].Move(vg.Point{X: x, Y: y - h/2})
		paths[s.Pop].Line(vg.Point{X: x, Y: y + h/2})
	}
	for i, path := range paths {
		if len(path) == 0 {
			continue
		}
		c.SetLineStyle(draw.LineStyle{Color: rasterColors[i%len(rasterColors)], Width: 0.6})
		c.Stroke(path)
	}

	sep := draw.LineStyle{Color: color.Gray{0xa0}, Width: 0.5}
	for i := 1; i < len(pops); i++ {
		y := trY(float64(ra.offsets[i]))
		c.StrokeLine2(sep, c.Min.X, y, c.Max.X, y)
	}
	for i, pop := range pops {
		if pop.Size == 0 {
			continue
		}
		y := trY(float64(ra.offsets[i]) + float64(pop.Size)/2)
		c.FillText(ra.labelStyle(p, i), vg.Point{X: c.Max.X + ra.labelGap(), Y: y}, pop.Name)
	}
}

// labelStyle is the style of population i's label: its raster colour.
func (ra *raster) labelStyle(p *plot.Plot, i int) text.Style {
	sty := text.Style{
		Color:   rasterColors[i%len(rasterColors)],
		Font:    p.Y.Label.TextStyle.Font,
		XAlign:  draw.XLeft,
		YAlign:  draw.YCenter,
		Handler: p.TextHandler,
	}
	sty.Font.Size = 9
	return sty
}

// labelGap is the space between the data area and the labels.
func (ra *raster) labelGap() vg.Length { return 4 }
