package nir

import (
	"fmt"
	"strings"

	"github.com/somahw/soma/internal/hdf5"
)

// ReadFile reads a .nir file (HDF5, as the NIR library writes it: the
// graph under /node, each node a group with a "type" dataset and its
// parameters as datasets, a NIRGraph's nodes under "nodes" and its edges
// as an N×2 dataset of names).
func ReadFile(path string) (*Graph, error) {
	f, fh, err := hdf5.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("nir: %s: %w", path, err)
	}
	defer fh.Close()
	root, err := f.Root().Group("node")
	if err != nil {
		return nil, fmt.Errorf("nir: %s: no /node group: %w", path, err)
	}
	n, err := readNode(root, "")
	if err != nil {
		return nil, fmt.Errorf("nir: %s: %w", path, err)
	}
	if n.Type != "NIRGraph" || n.Graph == nil {
		return nil, fmt.Errorf("nir: %s: /node is a %s, not a NIRGraph", path, n.Type)
	}
	if md, err := f.Root().Group("metadata"); err == nil {
		n.Graph.Metadata = readMetadata(md)
	}
	return n.Graph, nil
}

func readMetadata(g *hdf5.Group) map[string]float64 {
	out := map[string]float64{}
	names, _ := g.Members()
	for _, name := range names {
		if ds, err := g.Dataset(name); err == nil {
			if xs, err := ds.Float64s(); err == nil && len(xs) == 1 {
				out[name] = xs[0]
			}
		}
	}
	return out
}

// readNode reads one node group; path is its dotted path for errors.
func readNode(g *hdf5.Group, path string) (*Node, error) {
	name := g.Name()
	n := &Node{Name: name, Path: path, Params: map[string]Tensor{}, Strings: map[string]string{}}
	typ, err := g.Dataset("type")
	if err != nil {
		return nil, fmt.Errorf("node %s has no type: %w", displayPath(path), err)
	}
	ts, err := typ.Strings()
	if err != nil || len(ts) != 1 {
		return nil, fmt.Errorf("node %s: type is not a string: %v", displayPath(path), err)
	}
	n.Type = ts[0]
	members, err := g.Members()
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", displayPath(path), err)
	}
	if n.Type == "NIRGraph" {
		n.Graph = &Graph{Nodes: map[string]*Node{}}
		nodes, err := g.Group("nodes")
		if err != nil {
			return nil, fmt.Errorf("graph %s has no nodes: %w", displayPath(path), err)
		}
		names, err := nodes.Members()
		if err != nil {
			return nil, err
		}
		for _, child := range names {
			cg, err := nodes.Group(child)
			if err != nil {
				return nil, fmt.Errorf("graph %s: node %s: %w", displayPath(path), child, err)
			}
			cn, err := readNode(cg, joinPath(path, child))
			if err != nil {
				return nil, err
			}
			cn.Name = child
			n.Graph.Nodes[child] = cn
		}
		if ed, err := g.Dataset("edges"); err == nil {
			es, err := ed.Strings()
			if err != nil {
				return nil, fmt.Errorf("graph %s: edges: %w", displayPath(path), err)
			}
			if len(es)%2 != 0 {
				return nil, fmt.Errorf("graph %s: edges has %d names, want pairs", displayPath(path), len(es))
			}
			for i := 0; i < len(es); i += 2 {
				n.Graph.Edges = append(n.Graph.Edges, [2]string{es[i], es[i+1]})
			}
		}
		return n, nil
	}
	for _, m := range members {
		if m == "type" {
			continue
		}
		obj, err := g.Get(m)
		if err != nil {
			return nil, fmt.Errorf("node %s: %s: %w", displayPath(path), m, err)
		}
		switch o := obj.(type) {
		case *hdf5.Dataset:
			if o.Type().Kind == hdf5.String {
				ss, err := o.Strings()
				if err == nil && len(ss) == 1 {
					n.Strings[m] = ss[0]
				}
				continue
			}
			xs, err := o.Float64s()
			if err != nil {
				return nil, fmt.Errorf("node %s: %s: %w", displayPath(path), m, err)
			}
			n.Params[m] = Tensor{Shape: o.Shape(), Data: xs}
		case *hdf5.Group:
			// Newer writers nest Input/Output shapes: input_type/input.
			names, _ := o.Members()
			for _, k := range names {
				if ds, err := o.Dataset(k); err == nil {
					if xs, err := ds.Float64s(); err == nil {
						n.Params[m+"."+k] = Tensor{Shape: ds.Shape(), Data: xs}
					}
				}
			}
		}
	}
	// Shapes of Input/Output in either spelling.
	for _, alt := range []string{"input_type.input", "output_type.output"} {
		if t, ok := n.Params[alt]; ok {
			if _, has := n.Params["shape"]; !has {
				n.Params["shape"] = t
			}
		}
	}
	return n, nil
}

func joinPath(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

func displayPath(p string) string {
	if p == "" {
		return "(root)"
	}
	return strings.TrimPrefix(p, ".")
}
