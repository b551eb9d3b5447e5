#!/usr/bin/env python3
"""Runs the CUBA network on soma's emulator (one and two workers) and on
Brian2 in C++ standalone mode, with the same parameters, several times in
interleaved rounds, and prints the simulation times (min and median) and
the ratios of the minima (soma run_s / Brian2 run_s; ≤ 1 means soma is as
fast). For `make bench-compare`.

Usage: compare.py [--repeat R] [--brian PYTHON] [--configs N:T,...]

Timings on a shared machine vary by tens of percent from run to run; the
minimum of interleaved runs is the figure least disturbed by other load,
and interleaving exposes both programs to the same disturbances. Brian2
runs only where Debian's python3-brian is installed (PYTHON must import
brian2); its generated code measures its own simulation time.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)

ap = argparse.ArgumentParser()
ap.add_argument('--repeat', type=int, default=3)
ap.add_argument('--brian', default='/usr/bin/python3')
ap.add_argument('--configs', default='4000:1,4000:10,40000:1')
args = ap.parse_args()

tmp = tempfile.mkdtemp(prefix='soma_bench_')
cuba = os.path.join(tmp, 'cuba')
subprocess.run(['go', 'build', '-o', cuba, './bench/cuba'], cwd=root, check=True)
try:
    have_brian = subprocess.run([args.brian, '-c', 'import brian2'], capture_output=True).returncode == 0
except OSError:
    have_brian = False
if not have_brian:
    print(f'{args.brian} cannot import brian2 (apt-get install python3-brian): soma only')


def run(cmd):
    out = subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


rows = []
for cfg in args.configs.split(','):
    n, t = cfg.split(':')
    runs = {'soma 1 core': [], 'soma 2 cores': [], 'brian2': []}
    for _ in range(args.repeat):
        runs['soma 1 core'].append(run([cuba, '-n', n, '-duration', t, '-workers', '1']))
        runs['soma 2 cores'].append(run([cuba, '-n', n, '-duration', t, '-workers', '2']))
        if have_brian:
            runs['brian2'].append(run([args.brian, os.path.join(here, 'cuba_brian2.py'), n, t]))
    print(f'CUBA N={n} T={t}s, {args.repeat} interleaved runs each (run_s: min / median; whole process: min)')
    best = {}
    for name, rs in runs.items():
        if not rs:
            continue
        times = [r['run_s'] for r in rs]
        best[name] = min(times)
        rates = f"exc {rs[0]['exc_rate_hz']:.2f} Hz, inh {rs[0]['inh_rate_hz']:.2f} Hz"
        print(f'  {name:13s} {min(times):8.4f} / {statistics.median(times):8.4f} s'
              f'   whole process {min(r["total_s"] for r in rs):7.2f} s   {rates}')
    if 'brian2' in best:
        print(f"  ratio soma/brian2 (minima): 1 core {best['soma 1 core'] / best['brian2']:.2f}, "
              f"2 cores {best['soma 2 cores'] / best['brian2']:.2f}")
sys.exit(0)
