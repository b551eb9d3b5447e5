package emu

import (
	"runtime"
	"sync/atomic"
)

// pool runs a phase over all cores on a fixed set of workers, each owning a
// contiguous range of cores, with one barrier per phase. Workers spin
// (yielding now and then) between phases: a step is microseconds of work,
// too short for a channel or WaitGroup round trip per phase. With one
// worker everything runs on the caller's goroutine.
type pool struct {
	ranges  [][2]int
	phase   atomic.Uint64
	pending atomic.Int64
	work    func(int)
	// workWorker, when set, is called once per worker with its range
	// instead of work once per core.
	workWorker func(w, lo, hi int)
	quit       atomic.Bool
}

func newPool(workers int, ranges [][2]int) *pool {
	p := &pool{ranges: ranges}
	for w := 1; w < len(ranges); w++ {
		go p.worker(w)
	}
	return p
}

func (p *pool) worker(w int) {
	seen := uint64(0)
	for {
		spins := 0
		for p.phase.Load() == seen {
			if p.quit.Load() {
				return
			}
			if spins++; spins > 64 {
				runtime.Gosched()
				spins = 0
			}
		}
		seen = p.phase.Load()
		if p.quit.Load() {
			return
		}
		r := p.ranges[w]
		if f := p.workWorker; f != nil {
			f(w, r[0], r[1])
		} else {
			for i := r[0]; i < r[1]; i++ {
				p.work(i)
			}
		}
		p.pending.Add(-1)
	}
}

// run calls f(i) for every core and returns when all are done.
func (p *pool) run(f func(int)) {
	if len(p.ranges) <= 1 {
		for i := p.ranges[0][0]; i < p.ranges[0][1]; i++ {
			f(i)
		}
		return
	}
	p.work, p.workWorker = f, nil
	p.pending.Store(int64(len(p.ranges) - 1))
	p.phase.Add(1)
	r := p.ranges[0]
	for i := r[0]; i < r[1]; i++ {
		f(i)
	}
	p.wait()
}

// wait spins until the other workers have finished the phase.
func (p *pool) wait() {
	spins := 0
	for p.pending.Load() != 0 {
		if spins++; spins > 64 {
			runtime.Gosched()
			spins = 0
		}
	}
}

// runWorkers calls f once per worker with the worker's range of cores and
// returns when all are done.
func (p *pool) runWorkers(f func(w, lo, hi int)) {
	if len(p.ranges) <= 1 {
		f(0, p.ranges[0][0], p.ranges[0][1])
		return
	}
	p.workWorker = f
	p.pending.Store(int64(len(p.ranges) - 1))
	p.phase.Add(1)
	f(0, p.ranges[0][0], p.ranges[0][1])
	p.wait()
}

func (p *pool) stop() { p.quit.Store(true) }
