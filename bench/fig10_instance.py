"""`python -m bench.fig10_instance`: the app exactly as `python main.py` runs it, plus an event-loop lag sampler.

The capacity figure needs each instance's own loop lag, which no outside probe can see (a probe's answer time
includes its own queueing in nginx and the kernel). So this starts the same main(), with one more start-up
hook: bench.common.LoopLag sampling every 10 ms, its samples appended once a second to $BENCH_LAG_FILE as JSON
lines ({"t": unix time, "lag_ms": [...], "gc_ms": [[generation, ms], ...]}) so the figure can cut out its own
measuring window. The garbage collector's pauses are recorded beside the lag: a full collection walks every live
object of every open page, and under load it was most of the worst lag samples.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time

from nicegui import app, background_tasks

import main
from bench.common import LoopLag


class _Pauses:
    """The garbage collector's pauses, by generation (gc.callbacks: called at the start and end of each)."""

    def __init__(self) -> None:
        self.samples: list[list[float]] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == 'start':
            self._started = time.perf_counter()
        else:
            self.samples.append([info['generation'], round((time.perf_counter() - self._started) * 1000, 2)])


async def _record(path: str) -> None:
    lag = LoopLag().start()
    pauses = _Pauses()
    with open(path, 'a') as out:  # noqa: ASYNC230 - one short line a second; the loop's own lag is the subject
        while True:
            await asyncio.sleep(1.0)
            batch, lag.samples = lag.samples, []
            collections, pauses.samples = pauses.samples, []
            out.write(json.dumps({'t': round(time.time(), 3), 'lag_ms': [round(s * 1000, 2) for s in batch],
                                  'gc_ms': collections}) + '\n')
            out.flush()


def _start() -> None:
    path = os.environ.get('BENCH_LAG_FILE', '')
    if path:
        background_tasks.create(_record(path), name='bench-loop-lag')


if __name__ in {'__main__', '__mp_main__'}:
    app.on_startup(_start)
    main.main()
