package ir

import "fmt"

// Conv is structured connectivity: a convolution or pooling as PyTorch
// computes it (cross-correlation, zero padding, stride, dilation, groups)
// from a pre population laid out as In = [channels, spatial…] (row-major)
// onto a post population laid out as the output. The synapses are never
// stored in the network: Expand generates them, and a model file stays as
// small as the kernel.
type Conv struct {
	In          []int // [C, H, W] or [C, L]
	OutChannels int
	Kernel      []int // spatial kernel size
	Stride      []int
	Padding     []int
	Dilation    []int
	Groups      int
	// Weights is [OutChannels, C/Groups, kernel…] row-major; empty for
	// pooling.
	Weights []float64
	// Pool is "sum" or "avg" for pooling (one output channel per input
	// channel), "" for a convolution.
	Pool string
}

// dims is the number of spatial dimensions.
func (c *Conv) dims() int { return len(c.In) - 1 }

// Check reports what is inconsistent about the geometry.
func (c *Conv) Check() error {
	d := c.dims()
	switch {
	case d < 1 || d > 2:
		return fmt.Errorf("in shape %v: want [channels, length] or [channels, height, width]", c.In)
	case len(c.Kernel) != d || len(c.Stride) != d || len(c.Padding) != d || len(c.Dilation) != d:
		return fmt.Errorf("kernel, stride, padding and dilation need %d values each", d)
	case c.Pool != "" && c.Pool != "sum" && c.Pool != "avg":
		return fmt.Errorf("pool %q: want sum or avg", c.Pool)
	}
	for i := range d {
		if c.Kernel[i] < 1 || c.Stride[i] < 1 || c.Dilation[i] < 1 || c.Padding[i] < 0 {
			return fmt.Errorf("kernel, stride and dilation must be at least 1 and padding at least 0")
		}
	}
	if c.Pool == "" {
		if c.Groups < 1 || c.In[0]%c.Groups != 0 || c.OutChannels%c.Groups != 0 {
			return fmt.Errorf("%d groups do not divide %d input and %d output channels", c.Groups, c.In[0], c.OutChannels)
		}
		want := c.OutChannels * c.In[0] / c.Groups
		for _, k := range c.Kernel {
			want *= k
		}
		if len(c.Weights) != want {
			return fmt.Errorf("%d weights, want %d (out channels × in channels/groups × kernel)", len(c.Weights), want)
		}
	}
	_, err := c.OutShape()
	return err
}

// OutShape is the post population's layout.
func (c *Conv) OutShape() ([]int, error) {
	out := []int{c.OutChannels}
	if c.Pool != "" {
		out[0] = c.In[0]
	}
	for d := range c.dims() {
		size := (c.In[d+1]+2*c.Padding[d]-c.Dilation[d]*(c.Kernel[d]-1)-1)/c.Stride[d] + 1
		if size < 1 {
			return nil, fmt.Errorf("kernel %v does not fit input %v", c.Kernel, c.In)
		}
		out = append(out, size)
	}
	return out, nil
}

// Targets calls fn for every post neuron pre neuron pre reaches, with the
// kernel weight (1 for sum pooling, 1/kernel size for average pooling).
func (c *Conv) Targets(pre int, fn func(post int, w float64)) {
	out, err := c.OutShape()
	if err != nil {
		return
	}
	d := c.dims()
	pos := make([]int, d)
	rest := pre
	for i := d - 1; i >= 0; i-- {
		pos[i] = rest % c.In[i+1]
		rest /= c.In[i+1]
	}
	ch := rest
	ksize := 1
	for _, k := range c.Kernel {
		ksize *= k
	}
	cinG, coutG, grp := c.In[0], out[0], 0
	if c.Pool == "" {
		cinG, coutG = c.In[0]/c.Groups, c.OutChannels/c.Groups
		grp = ch / cinG
	}
	o := make([]int, d)
	var rec func(i, kidx int)
	rec = func(i, kidx int) {
		if i == d {
			lo, hi := grp*coutG, (grp+1)*coutG
			if c.Pool != "" {
				lo, hi = ch, ch+1
			}
			for oc := lo; oc < hi; oc++ {
				w := 1.0
				switch c.Pool {
				case "avg":
					w = 1 / float64(ksize)
				case "":
					w = c.Weights[(oc*cinG+(ch-grp*cinG))*ksize+kidx]
				}
				if w == 0 {
					continue
				}
				flat := oc
				for j := range d {
					flat = flat*out[j+1] + o[j]
				}
				fn(flat, w)
			}
			return
		}
		for k := range c.Kernel[i] {
			num := pos[i] + c.Padding[i] - k*c.Dilation[i]
			if num < 0 || num%c.Stride[i] != 0 || num/c.Stride[i] >= out[i+1] {
				continue
			}
			o[i] = num / c.Stride[i]
			rec(i+1, kidx*c.Kernel[i]+k)
		}
	}
	rec(0, 0)
}
