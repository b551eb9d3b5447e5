package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/somahw/soma/ir"
)

func newCheckCmd() *cobra.Command {
	var nf nirFlags
	cmd := &cobra.Command{
		Use:   "check MODEL",
		Short: "Validate a model file and summarise it (populations, neurons, synapses, sources)",
		Long: `Check reads a model file, reports every problem at once (each with
file:line:column), and otherwise expands the connectivity from the seed and
prints a summary: populations, neurons, synapses per projection, sources.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := loadModel(cmd, args[0], nf)
			if err != nil {
				return err
			}
			exp, err := ir.Expand(m.net)
			if err != nil {
				return err
			}
			return writeCheckSummary(cmd.OutOrStdout(), exp)
		},
	}
	nf.add(cmd)
	return cmd
}

func writeCheckSummary(w io.Writer, e *ir.Expanded) error {
	net := e.Net
	name := net.Name
	if name == "" {
		name = net.File
	}
	var sources, neurons int
	for _, p := range net.Populations {
		if p.IsSource() {
			sources += p.Size
		} else {
			neurons += p.Size
		}
	}
	fmt.Fprintf(w, "%s: ok\n", name)
	fmt.Fprintf(w, "  %d populations: %d neurons, %d sources; %d projections, %d synapses\n",
		len(net.Populations), neurons, sources, len(net.Projections), e.NumSynapses())
	fmt.Fprintf(w, "  run: %s at %s steps (%d steps), seed %d\n\n",
		ir.FormatQuantity(net.Run.Duration, ir.Time), ir.FormatQuantity(net.Run.Timestep, ir.Time), net.Run.Steps(), net.Run.Seed)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "population\tmodel\tsize\tnotes")
	for _, p := range e.Populations {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", p.Name, p.Model, p.Size, populationNotes(p))
	}
	tw.Flush()
	if len(net.Projections) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "projection\tpre → post\tconnector\treceptor\tsynapses\tplasticity")
		for i, pr := range net.Projections {
			plast := "-"
			if pr.Plasticity != nil {
				plast = "stdp (" + string(pr.Plasticity.Dependence) + ")"
			}
			fmt.Fprintf(tw, "%s\t%s → %s\t%s\t%s\t%d\t%s\n", pr.Name, pr.Pre, pr.Post, connectorString(pr.Connector), pr.Receptor, len(e.Synapses[i]), plast)
		}
		tw.Flush()
	}
	if len(net.Probes) > 0 {
		var parts []string
		for _, pb := range net.Probes {
			sel := "all"
			if pb.Indices != nil {
				sel = fmt.Sprintf("%d", len(pb.Indices))
			}
			parts = append(parts, fmt.Sprintf("%s.%s (%s)", pb.Target(), pb.Variable, sel))
		}
		fmt.Fprintf(w, "\nprobes: %s\n", strings.Join(parts, ", "))
	}
	return nil
}

func populationNotes(p *ir.ExpandedPopulation) string {
	switch p.Model {
	case ir.SpikeSourceArray, ir.SpikeSourcePoisson:
		total := 0
		for _, s := range p.SpikeSteps {
			total += len(s)
		}
		return fmt.Sprintf("%d input spikes", total)
	}
	if v, ok := p.Population.Params["i_offset"]; ok {
		return "i_offset " + v.String()
	}
	return ""
}

func connectorString(c ir.Connector) string {
	switch c.Kind {
	case ir.FixedProb:
		return fmt.Sprintf("fixed_probability p=%g", c.P)
	case ir.FixedNumberPre, ir.FixedNumberPost:
		return fmt.Sprintf("%s n=%d", c.Kind, c.N)
	case ir.Dense:
		return fmt.Sprintf("dense %d×%d", c.Matrix.Rows, c.Matrix.Cols)
	case ir.FromList:
		return fmt.Sprintf("from_list (%d)", len(c.List))
	}
	return string(c.Kind)
}
