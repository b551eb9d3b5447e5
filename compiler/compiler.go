// Package compiler turns an ir.Network into a program.Program for a target:
// expand → quantise → partition → place → allocate keys → route → compress
// tables → lay out memory → verify. The pass list is data (passes); the
// driver times each pass, can dump the state after one, and — in tests or
// with Options.Check — runs each pass's checker after it, so a broken
// invariant is caught at the pass that broke it.
package compiler

import (
	"fmt"
	"io"
	"time"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// Options control one compilation.
type Options struct {
	// Check runs every pass's checker after it (tests always do).
	Check bool
	// DumpAfter names a pass; the state after it is written to Dump.
	DumpAfter string
	Dump      io.Writer
	// NeuronsPerCore overrides the target's default partition size (0:
	// the target's).
	NeuronsPerCore int
}

// pass is one step of the compiler with its invariant checker.
type pass struct {
	name  string
	run   func(*state) error
	check func(*state) error
}

// passes is the compiler, in order.
var passes = []pass{
	{"quantize", quantize, checkQuantize},
	{"partition", partition, checkPartition},
	{"place", place, checkPlace},
	{"keys", allocateKeys, checkKeys},
	{"route", route, checkRoutes},
	{"compress", compress, checkCompress},
	{"layout", layout, nil},
	{"verify", verify, nil},
}

// PassNames lists the passes in order, for --dump-after.
func PassNames() []string {
	out := []string{"expand"}
	for _, p := range passes {
		out = append(out, p.name)
	}
	return out
}

// Timing is how long one pass took.
type Timing struct {
	Pass    string
	Seconds float64
}

// Result is a compiled program and what the compiler learnt on the way.
type Result struct {
	Program *program.Program
	Report  *Report
	Timings []Timing
}

// Compile compiles a network for a target. The network's run seed fixes
// every random choice, so the same input gives byte-identical programs.
func Compile(net *ir.Network, t *target.Target, opts Options) (*Result, error) {
	start := time.Now()
	exp, err := ir.Expand(net)
	if err != nil {
		return nil, err
	}
	res, err := CompileExpanded(exp, t, opts)
	if res != nil {
		res.Timings = append([]Timing{{"expand", 0}}, res.Timings...)
		res.Timings[0].Seconds = time.Since(start).Seconds() - sumTimings(res.Timings[1:])
	}
	return res, err
}

func sumTimings(ts []Timing) float64 {
	total := 0.0
	for _, t := range ts {
		total += t.Seconds
	}
	return total
}

// CompileExpanded compiles an already expanded network (so callers that
// replay inputs into sources can do so first).
func CompileExpanded(exp *ir.Expanded, t *target.Target, opts Options) (*Result, error) {
	res, _, err := compileState(exp, t, opts)
	return res, err
}

// compileState runs the passes and also returns the compiler's state, for
// tests that check the program against what the passes decided.
func compileState(exp *ir.Expanded, t *target.Target, opts Options) (*Result, *state, error) {
	s := newState(exp, t, opts)
	res := &Result{}
	if opts.DumpAfter == "expand" && opts.Dump != nil {
		s.dump(opts.Dump, "expand")
	}
	for _, p := range passes {
		begin := time.Now()
		if err := p.run(s); err != nil {
			return nil, s, err
		}
		res.Timings = append(res.Timings, Timing{p.name, time.Since(begin).Seconds()})
		if opts.Check && p.check != nil {
			if err := p.check(s); err != nil {
				return nil, s, fmt.Errorf("compiler: checker after pass %s: %w", p.name, err)
			}
		}
		if opts.DumpAfter == p.name && opts.Dump != nil {
			s.dump(opts.Dump, p.name)
		}
	}
	res.Program = s.prog
	res.Report = s.report()
	return res, s, nil
}
