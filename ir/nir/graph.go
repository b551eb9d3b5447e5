// Package nir imports NIR graphs (the Neuromorphic Intermediate
// Representation written by snnTorch, Norse, Sinabs, Rockpool, Lava-dl,
// Spyx, Nengo and SpiNNaker2) and lowers them to an ir.Network.
//
// A NIR graph is continuous-time and stores no timestep: lowering takes
// dt and a discretisation. Stateful nodes (LIF, CubaLIF, IF, LI) become
// populations; the Input node a spike-source population; stateless nodes
// between them (Affine, Linear, Scale, Conv1d/2d, SumPool2d, AvgPool2d,
// Flatten, Delay) are composed into the projections' synapses; the
// Output node's source is recorded.
package nir

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Tensor is an n-dimensional array of numbers, row-major.
type Tensor struct {
	Shape []int
	Data  []float64
}

// Len is the number of elements.
func (t Tensor) Len() int { return len(t.Data) }

// Scalar returns the single value of a 0-d or 1-element tensor.
func (t Tensor) Scalar() (float64, bool) {
	if len(t.Data) == 1 {
		return t.Data[0], true
	}
	return 0, false
}

// Node is one NIR node: its type, its parameters, and for NIRGraph nodes
// the nested graph.
type Node struct {
	Name   string
	Path   string // "outer.inner" for nested nodes, for error messages
	Type   string
	Params map[string]Tensor
	// Strings holds string-valued fields (e.g. a Conv padding mode).
	Strings map[string]string
	Graph   *Graph // for Type "NIRGraph"
}

// Param returns a parameter, or an error naming the node.
func (n *Node) Param(name string) (Tensor, error) {
	t, ok := n.Params[name]
	if !ok {
		return Tensor{}, fmt.Errorf("nir: node %s (%s) has no %s", n.Path, n.Type, name)
	}
	return t, nil
}

// Graph is a NIR graph: nodes by name and directed edges between them.
type Graph struct {
	Nodes map[string]*Node
	Edges [][2]string
	// Metadata holds numeric metadata (e.g. dt) when the file has it.
	Metadata map[string]float64
}

// Names lists the node names sorted (NIR files list them unordered).
func (g *Graph) Names() []string {
	out := make([]string, 0, len(g.Nodes))
	for n := range g.Nodes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Flatten inlines nested NIRGraph nodes: their nodes are named
// "outer.inner", edges into the subgraph go to its Input nodes and edges
// out of it leave from its Output nodes. It checks that every edge names
// existing nodes, with the path of the offender.
func (g *Graph) Flatten() (*Graph, error) {
	out := &Graph{Nodes: map[string]*Node{}, Metadata: g.Metadata}
	if err := g.flattenInto(out, ""); err != nil {
		return nil, err
	}
	return out, nil
}

func (g *Graph) flattenInto(out *Graph, prefix string) error {
	// inputs/outputs of nested graphs: name → the inner nodes edges attach to.
	ins := map[string][]string{}
	outs := map[string][]string{}
	for _, name := range g.Names() {
		n := g.Nodes[name]
		full := prefix + name
		if n.Type == "NIRGraph" {
			if n.Graph == nil {
				return fmt.Errorf("nir: node %s is a NIRGraph without nodes", full)
			}
			if err := n.Graph.flattenInto(out, full+"."); err != nil {
				return err
			}
			for _, inner := range n.Graph.Names() {
				switch n.Graph.Nodes[inner].Type {
				case "Input":
					ins[name] = append(ins[name], full+"."+inner)
				case "Output":
					outs[name] = append(outs[name], full+"."+inner)
				}
			}
			continue
		}
		c := *n
		c.Name, c.Path = full, full
		if prefix != "" && (n.Type == "Input" || n.Type == "Output") {
			// A nested graph's Input and Output only pass values through
			// once the graph is inlined.
			c.Type = "Identity"
		}
		out.Nodes[full] = &c
	}
	for _, e := range g.Edges {
		for _, end := range e {
			if _, ok := g.Nodes[end]; !ok {
				known := g.Names()
				return fmt.Errorf("nir: edge %s → %s names node %q, which does not exist in %s (nodes: %s)",
					prefix+e[0], prefix+e[1], prefix+end, graphName(prefix), strings.Join(known, ", "))
			}
		}
		srcs := []string{prefix + e[0]}
		if o, ok := outs[e[0]]; ok {
			srcs = o
		}
		dsts := []string{prefix + e[1]}
		if i, ok := ins[e[1]]; ok {
			dsts = i
		}
		for _, s := range srcs {
			for _, d := range dsts {
				out.Edges = append(out.Edges, [2]string{s, d})
			}
		}
	}
	// Nested Input/Output nodes are pass-throughs once inlined; they stay
	// as nodes so shapes are still checked, and lowering treats them as
	// identity maps.
	slices.SortFunc(out.Edges, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	return nil
}

func graphName(prefix string) string {
	if prefix == "" {
		return "the top-level graph"
	}
	return "graph " + strings.TrimSuffix(prefix, ".")
}
