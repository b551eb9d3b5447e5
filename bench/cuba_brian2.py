#!/usr/bin/env python3
"""The CUBA network (Vogels & Abbott 2005) in Brian2's C++ standalone mode,
with the parameters of soma's examples/cuba.yaml, for `make bench-compare`.

Usage: cuba_brian2.py N DURATION_S [P]   (defaults: 4000 1.0 80/N)
Prints one JSON line: the simulation time Brian2's generated code measured
(run_s), the whole process time including code generation and C++
compilation (total_s), and the mean rates. Runs only where Debian's
python3-brian is installed.
"""
import json
import os
import sys
import tempfile
import time

start = time.time()
from brian2 import (NeuronGroup, Synapses, SpikeMonitor, ms, mV, run,
                    set_device, device, defaultclock, seed)

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
duration = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
p = float(sys.argv[3]) if len(sys.argv) > 3 else 80.0 / n

set_device('cpp_standalone', directory=tempfile.mkdtemp(prefix='cuba_brian2_'))
defaultclock.dt = 0.1 * ms
seed(1)
taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
eqs = '''
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
'''
P = NeuronGroup(n, eqs, threshold='v>Vt', reset='v = Vr', refractory=5 * ms, method='exact')
P.v = 'Vr + rand() * (Vt - Vr)'
P.ge = 0 * mV
P.gi = 0 * mV
ne = int(0.8 * n)
Pe, Pi = P[:ne], P[ne:]
Ce = Synapses(Pe, P, on_pre='ge += 1.62*mV')
Ci = Synapses(Pi, P, on_pre='gi -= 9*mV')
Ce.connect(p=p)
Ci.connect(p=p)
se, si = SpikeMonitor(Pe), SpikeMonitor(Pi)
run(duration * 1000 * ms)
print(json.dumps({
    'engine': 'brian2-cpp_standalone', 'neurons': n, 'duration_s': duration,
    'run_s': device._last_run_time, 'total_s': time.time() - start,
    'exc_rate_hz': se.num_spikes / ne / duration,
    'inh_rate_hz': si.num_spikes / (n - ne) / duration,
    'synapses': len(Ce) + len(Ci),
}))
