package nir

import (
	"fmt"
	"sort"
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
	g, err := geometryOf(n, in)
	if err != nil {
		return nil, err
	}
	out := []int{g.cout}
	for d := range g.kernel {
		size := (in[d+1]+2*g.pad[d]-g.dil[d]*(g.kernel[d]-1)-1)/g.stride[d] + 1
		if size < 1 {
			return nil, fmt.Errorf("nir: node %s: kernel %v does not fit input %v", n.Path, g.kernel, in)
		}
		out = append(out, size)
	}
	return out, nil
}

// convolve pushes contributions through a convolution or pooling (PyTorch
// semantics: cross-correlation, zero padding, stride, dilation, groups).
func convolve(n *Node, in []int, vec []entry) ([]entry, error) {
	g, err := geometryOf(n, in)
	if err != nil {
		return nil, err
	}
	outShape, _ := convShape(n, in)
	dims := len(g.kernel)
	var res []entry
	for _, e := range vec {
		// Unflatten the input index: channel, then spatial coordinates.
		rest := int(e.idx)
		pos := make([]int, dims)
		for d := dims - 1; d >= 0; d-- {
			pos[d] = rest % in[d+1]
			rest /= in[d+1]
		}
		c := rest
		cinG, coutG := g.cin/g.groups, g.cout/g.groups
		grp := c / cinG
		// Every kernel offset k with o·stride − pad + k·dil = pos.
		var rec func(d int, out []int, kidx int)
		rec = func(d int, out []int, kidx int) {
			if d == dims {
				for oc := grp * coutG; oc < (grp+1)*coutG; oc++ {
					w := 1.0
					if g.pool {
						if oc != c {
							continue
						}
						if g.avg {
							w = 1 / float64(prodInts(g.kernel))
						}
					} else {
						w = g.weight.Data[(oc*cinG+(c-grp*cinG))*prodInts(g.kernel)+kidx]
					}
					if w == 0 {
						continue
					}
					flat := oc
					for dd := range dims {
						flat = flat*outShape[dd+1] + out[dd]
					}
					res = append(res, entry{idx: int32(flat), w: w * e.w, delay: e.delay})
				}
				return
			}
			for k := range g.kernel[d] {
				num := pos[d] + g.pad[d] - k*g.dil[d]
				if num < 0 || num%g.stride[d] != 0 {
					continue
				}
				o := num / g.stride[d]
				if o >= outShape[d+1] {
					continue
				}
				rec(d+1, append(out, o), kidx*g.kernel[d]+k)
			}
		}
		rec(0, make([]int, 0, dims), 0)
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
