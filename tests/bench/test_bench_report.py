"""The benchmark harness's own arithmetic and report (the measurements themselves run in `make bench`)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench.common import Figure, LoopLag, percentile
from bench.report import write_markdown


def test_percentile_interpolates_like_numpy() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 3.0
    assert percentile(values, 100) == 5.0
    assert percentile(values, 99) == 4.96  # numpy.percentile([1..5], 99) == 4.96


async def test_loop_lag_sees_a_blocked_loop() -> None:
    lag = LoopLag(interval=0.005).start()
    await asyncio.sleep(0.03)
    time.sleep(0.12)  # noqa: ASYNC251 - on purpose: what a blocking call in a handler does to everyone else
    await asyncio.sleep(0.03)
    await lag.stop()
    assert lag.summary_ms()['max_ms'] >= 100


def test_report_states_met_missed_and_unmeasured(tmp_path: Path) -> None:
    met = Figure(key='a', title='Alpha', target='<= 1 s', value=0.5, unit='s', met=True, method='Timed alpha.',
                 details={'runs': [0.4, 0.5, 0.6]})
    missed = Figure(key='b', title='Beta', target='>= 0.9', value=0.8, unit='ratio', met=False, method='Timed beta.',
                    note='Fix: sign less.')
    results = {
        'generated_at': '2026-01-01T00:00:00+00:00', 'run_seconds': 12.0,
        'machine': {'cores': 2, 'memory_gb': 8.0, 'cpu': 'test cpu', 'python': '3.11', 'system': 'Linux'},
        'figures': {
            'fig1': {**met.to_json(), 'seconds': 3.0},
            'fig2': {**missed.to_json(), 'seconds': 4.0, 'load_average_1min': {'before': 1.0, 'after': 2.0}},
            'fig3': {'key': 'c', 'title': 'Gamma', 'target': '0', 'value': None, 'unit': '', 'met': None,
                     'method': '', 'details': {}, 'error': 'RuntimeError: no chromium'},
        },
    }
    path = tmp_path / 'RESULTS.md'
    write_markdown(results, path)
    text = path.read_text()
    assert '| 1 | Alpha | <= 1 s | 0.5 s | met |' in text
    assert '| 2 | Beta | >= 0.9 | 0.8 ratio | **missed** |' in text
    assert '| 3 | Gamma | 0 | — | not measured |' in text
    assert 'Fix: sign less.' in text and 'RuntimeError: no chromium' in text
    assert '2 cores (test cpu), 8.0 GB memory' in text
    assert 'load average 1.0 -> 2.0' in text
