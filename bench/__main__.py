"""`python -m bench` (== `make bench`): measure every figure, write bench/results.json and bench/RESULTS.md.

Each figure runs in a fresh Python process, so that one figure's memory, threads and imports never
colour another's (figures 2 and 6 measure resident memory), and a figure that crashes or hangs is
recorded as unmeasured instead of stopping the rest.

    python -m bench                      # every figure
    python -m bench --only fig3,fig1     # some figures; the others keep their last results
    python -m bench --quick              # shorter runs, for trying the harness (not for the record)
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.common import PYTHON, ROOT, Figure, machine
from bench.report import write_markdown

FIGURES: dict[str, str] = {
    'fig1': 'bench.fig1_time_to_agent',
    'fig2': 'bench.fig2_many_waits',
    'fig3': 'bench.fig3_signing',
    'fig4': 'bench.fig4_preview',
    'fig5': 'bench.fig5_page_weight',
    'fig6': 'bench.fig6_memory_per_page',
    'fig7': 'bench.fig7_chat_first_piece',
    'fig8': 'bench.fig8_many_streams',
    'fig9': 'bench.fig9_cross_instance',
    'fig10': 'bench.fig10_capacity',
}
FIGURE_TIMEOUT = 240.0  # seconds; a figure module's own TIMEOUT (the capacity run's) overrides it
RESULTS_JSON = ROOT / 'bench' / 'results.json'
RESULTS_MD = ROOT / 'bench' / 'RESULTS.md'


def run_one(name: str, out: Path, quick: bool) -> None:
    """Measure one figure in this process and write its JSON to `out`."""
    started = time.monotonic()
    load_before = os.getloadavg()[0]  # other work on the machine colours every timing; record it
    module = importlib.import_module(FIGURES[name])
    try:
        figure: Figure = module.run(quick=quick)
    except Exception as error:
        figure = Figure(key=getattr(module, 'KEY', name), title=getattr(module, 'TITLE', name),
                        target=getattr(module, 'TARGET_TEXT', ''), value=None, unit='', met=None,
                        method=(module.__doc__ or '').strip().split('\n\n')[-1],
                        error=f'{type(error).__name__}: {error}\n{traceback.format_exc(limit=6)}')
    figure.seconds = round(time.monotonic() - started, 1)
    load = {'before': round(load_before, 2), 'after': round(os.getloadavg()[0], 2)}
    out.write_text(json.dumps({'name': name, **figure.to_json(), 'machine': machine(), 'load_average_1min': load},
                              indent=1))


def _timeout(name: str) -> float:
    module = importlib.import_module(FIGURES[name])
    return float(getattr(module, 'TIMEOUT', FIGURE_TIMEOUT))


def run_isolated(name: str, quick: bool) -> dict:
    timeout = _timeout(name)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / 'figure.json'
        started = time.monotonic()
        args = [PYTHON, '-m', 'bench', '--figure', name, '--out', str(out), *(['--quick'] if quick else [])]
        try:
            proc = subprocess.run(args, cwd=ROOT, timeout=timeout, check=False)
            failure = None if out.exists() else f'the figure process exited with code {proc.returncode}'
        except subprocess.TimeoutExpired:
            failure = f'the figure did not finish within {timeout:g} s'
        if failure is None:
            return json.loads(out.read_text())
        return {'name': name, 'key': name, 'title': name, 'target': '', 'value': None, 'unit': '', 'met': None,
                'method': '', 'details': {}, 'error': failure, 'seconds': round(time.monotonic() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(prog='python -m bench', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--only', help='comma-separated figures (fig1..fig8)')
    parser.add_argument('--quick', action='store_true', help='shorter runs, to try the harness')
    parser.add_argument('--figure', help=argparse.SUPPRESS)  # internal: measure one figure in this process
    parser.add_argument('--out', help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.figure:
        run_one(args.figure, Path(args.out), args.quick)
        return 0

    names = [n.strip() for n in args.only.split(',')] if args.only else list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        parser.error(f'unknown figure(s) {", ".join(unknown)}; choose from {", ".join(FIGURES)}')

    previous = json.loads(RESULTS_JSON.read_text()) if args.only and RESULTS_JSON.exists() else {}
    figures: dict[str, dict] = dict(previous.get('figures', {}))
    started = time.monotonic()
    for name in names:
        print(f'[bench] {name}: measuring...', flush=True)
        result = run_isolated(name, args.quick)
        result['measured_at'] = datetime.now(UTC).isoformat(timespec='seconds')
        result['quick'] = args.quick
        figures[name] = result
        state = 'ERROR' if result.get('error') else ('met' if result.get('met') else 'MISSED')
        print(f'[bench] {name}: {result.get("value")} {result.get("unit")} (target {result.get("target")}) '
              f'-> {state} in {result.get("seconds")} s', flush=True)
        if result.get('error'):
            print(result['error'], file=sys.stderr)
    total = round(time.monotonic() - started, 1)
    results = {
        'generated_at': datetime.now(UTC).isoformat(timespec='seconds'),
        'machine': machine(),
        'run_seconds': total if not args.only else previous.get('run_seconds'),
        'last_partial_run': {'figures': names, 'seconds': total} if args.only else None,
        'figures': {name: figures[name] for name in FIGURES if name in figures},
    }
    RESULTS_JSON.write_text(json.dumps(results, indent=1) + '\n')
    write_markdown(results, RESULTS_MD)
    print(f'[bench] wrote {RESULTS_JSON.relative_to(ROOT)} and {RESULTS_MD.relative_to(ROOT)} in {total} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
