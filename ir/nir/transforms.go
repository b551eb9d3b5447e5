package nir

import (
	"fmt"
	"sort"

	"github.com/somahw/soma/ir"
)

// apply pushes a sparse vector of one source neuron's contributions
// through a stateless node: the result holds the node's output elements
// the source reaches, with their accumulated weights and delays.
func (l *lowering) apply(n *Node, vec []entry) ([]entry, error) {
	switch n.Type {
	case "Identity", "Flatten":
		return vec, nil
	case "Affine", "Linear":
		w, _ := n.Param("weight")
		out, in := w.Shape[0], w.Shape[1]
		var res []entry
		for _, e := range vec {
			if int(e.idx) >= in {
				return nil, fmt.Errorf("nir: node %s: input %d beyond its %d columns", n.Path, e.idx, in)
			}
			for o := range out {
				if x := w.Data[o*in+int(e.idx)]; x != 0 {
					res = append(res, entry{idx: int32(o), w: x * e.w, delay: e.delay})
				}
			}
		}
		return merge(res), nil
	case "Scale":
		s, _ := n.Param("scale")
		res := make([]entry, 0, len(vec))
		for _, e := range vec {
			res = append(res, entry{idx: e.idx, w: e.w * s.Data[int(e.idx)%s.Len()], delay: e.delay})
		}
		return res, nil
	case "Delay":
		d, _ := n.Param("delay")
		res := make([]entry, 0, len(vec))
		for _, e := range vec {
			steps := int32(d.Data[int(e.idx)%d.Len()]/l.opts.Dt + 0.5)
			res = append(res, entry{idx: e.idx, w: e.w, delay: e.delay + steps})
		}
		return res, nil
	case "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d":
		in := l.inputShape(n)
		return convolve(n, in, vec)
	}
	return nil, fmt.Errorf("nir: node %s: cannot lower %s", n.Path, n.Type)
}

// inputShape is the shape a node receives (its first source's output).
func (l *lowering) inputShape(n *Node) []int {
	if preds := l.pred[n.Path]; len(preds) > 0 {
		return l.shapes[preds[0]]
	}
	return nil
}

// merge sums entries with the same index and delay, sorted.
func merge(es []entry) []entry {
	sort.Slice(es, func(i, j int) bool {
		if es[i].idx != es[j].idx {
			return es[i].idx < es[j].idx
		}
		return es[i].delay < es[j].delay
	})
	out := es[:0]
	for _, e := range es {
		if k := len(out) - 1; k >= 0 && out[k].idx == e.idx && out[k].delay == e.delay {
			out[k].w += e.w
			continue
		}
		out = append(out, e)
	}
	return out
}

// geometry is a convolution or pooling node's parameters, per spatial
// dimension, with PyTorch's meaning.
type geometry struct {
	cin, cout, groups int
	kernel            []int
	stride, pad, dil  []int
	weight            Tensor // conv only
	pool              bool
	avg               bool
}

func ints(t Tensor, dims int, def int) []int {
	out := make([]int, dims)
	for i := range out {
		out[i] = def
		if t.Len() == 1 {
			out[i] = int(t.Data[0])
		} else if i < t.Len() {
			out[i] = int(t.Data[i])
		}
	}
	return out
}

func geometryOf(n *Node, in []int) (geometry, error) {
	var g geometry
	dims := 2
	if n.Type == "Conv1d" {
		dims = 1
	}
	if len(in) != dims+1 {
		return g, fmt.Errorf("nir: node %s (%s) gets input of shape %v, want [channels%s]", n.Path, n.Type, in, map[int]string{1: ", length", 2: ", height, width"}[dims])
	}
	g.cin = in[0]
	g.stride = ints(n.Params["stride"], dims, 1)
	g.pad = ints(n.Params["padding"], dims, 0)
	g.dil = ints(n.Params["dilation"], dims, 1)
	if s, ok := n.Strings["padding"]; ok && s != "" {
		return g, fmt.Errorf("nir: node %s: padding %q is not supported yet; give padding as numbers", n.Path, s)
	}
	switch n.Type {
	case "SumPool2d", "AvgPool2d":
		g.pool, g.avg = true, n.Type == "AvgPool2d"
		g.kernel = ints(n.Params["kernel_size"], dims, 1)
		if _, ok := n.Params["stride"]; !ok {
			g.stride = g.kernel
		}
		g.cout, g.groups = g.cin, g.cin
	default:
		w, err := n.Param("weight")
		if err != nil {
			return g, err
		}
		if len(w.Shape) != dims+2 {
			return g, fmt.Errorf("nir: node %s: weight shape %v, want [out channels, in channels/groups, kernel…]", n.Path, w.Shape)
		}
		g.weight = w
		g.cout = w.Shape[0]
		g.kernel = w.Shape[2:]
		g.groups = 1
		if t, ok := n.Params["groups"]; ok && t.Len() > 0 {
			g.groups = int(t.Data[0])
		}
		if g.groups < 1 || w.Shape[1]*g.groups != g.cin || g.cout%g.groups != 0 {
			return g, fmt.Errorf("nir: node %s: weight %v with %d groups does not fit %d input channels", n.Path, w.Shape, g.groups, g.cin)
		}
	}
	return g, nil
}

// convShape is a convolution or pooling node's output shape.
func convShape(n *Node, in []int) ([]int, error) {
	c, err := convOf(n, in)
	if err != nil {
		return nil, err
	}
	out, err := c.OutShape()
	if err != nil {
		return nil, fmt.Errorf("nir: node %s: %w", n.Path, err)
	}
	return out, nil
}

// convOf turns a convolution or pooling node, given its input shape, into
// the IR's structured connectivity.
func convOf(n *Node, in []int) (*ir.Conv, error) {
	g, err := geometryOf(n, in)
	if err != nil {
		return nil, err
	}
	c := &ir.Conv{In: in, OutChannels: g.cout, Kernel: g.kernel, Stride: g.stride, Padding: g.pad, Dilation: g.dil, Groups: g.groups}
	switch {
	case g.pool && g.avg:
		c.Pool = "avg"
	case g.pool:
		c.Pool = "sum"
	default:
		c.Weights = g.weight.Data
	}
	return c, nil
}

// convolve pushes contributions through a convolution or pooling (PyTorch
// semantics: cross-correlation, zero padding, stride, dilation, groups).
func convolve(n *Node, in []int, vec []entry) ([]entry, error) {
	c, err := convOf(n, in)
	if err != nil {
		return nil, err
	}
	var res []entry
	for _, e := range vec {
		c.Targets(int(e.idx), func(post int, w float64) {
			res = append(res, entry{idx: int32(post), w: w * e.w, delay: e.delay})
		})
	}
	return merge(res), nil
}

func prodInts(xs []int) int {
	n := 1
	for _, x := range xs {
		n *= x
	}
	return n
}
