"""What every figure shares: the machine, percentiles, event-loop lag, resident memory, helper servers.

Everything here targets 127.0.0.1 only. Helper servers run in subprocesses so that their CPU time and
memory never count against the process being measured (on 2 cores: the app on one, the upstream on the
other, as a real deployment would have the platform on another machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = '127.0.0.1'


@dataclass
class Figure:
    """One figure of the results file: what was promised, what was measured, and how."""

    key: str
    title: str
    target: str  # the target as a person reads it, e.g. '>= 0.9'
    value: float | None  # the headline measured value, in `unit`
    unit: str
    met: bool | None  # None when the figure could not be measured
    method: str  # two or three lines for RESULTS.md
    details: dict[str, Any] = field(default_factory=dict)
    note: str | None = None  # what the value means, and for a miss what would fix it
    error: str | None = None
    seconds: float = 0.0  # how long the figure took to measure

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def machine() -> dict[str, Any]:
    memory = psutil.virtual_memory()
    cpu = ''
    with contextlib.suppress(OSError):
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    return {
        'cores': os.cpu_count(),
        'memory_gb': round(memory.total / 2**30, 1),
        'cpu': cpu or platform.processor(),
        'python': platform.python_version(),
        'system': f'{platform.system()} {platform.release()}',
    }


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return float('nan')
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float('nan')


def rss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20


def settled_rss_mb(pid: int | None = None) -> float:
    """RSS after a full collection, so that garbage waiting for the collector is not counted."""
    if pid is None or pid == os.getpid():
        gc.collect()
    return rss_mb(pid)


class LoopLag:
    """Samples the running event loop every `interval` s; lag = how late each wake-up came.

    A callback that holds the loop for 80 ms shows up as an 80 ms sample, which is exactly what every
    other user of the app would feel as a frozen page.
    """

    def __init__(self, interval: float = 0.010) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, loop.time() - start - self.interval))

    def start(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def summary_ms(self) -> dict[str, float]:
        ms = [s * 1000 for s in self.samples]
        return {'samples': len(ms), 'p50_ms': round(percentile(ms, 50), 2), 'p99_ms': round(percentile(ms, 99), 2),
                'max_ms': round(max(ms, default=0.0), 2)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f'helper process exited with code {proc.returncode} before listening on {port}')
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f'nothing listened on {HOST}:{port} within {timeout:g} s')


@contextlib.contextmanager
def server_process(args: Sequence[str], port: int, *, env: dict[str, str] | None = None,
                   timeout: float = 60.0, log_name: str | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Start a helper server (python `args`), wait until it listens on `port`, stop it afterwards."""
    log_dir = ROOT / 'test-artifacts' / 'bench-logs'  # ignored by git
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f'{log_name or "server"}-{port}.log'
    full_env = {**os.environ, 'PYTHONUNBUFFERED': '1', **(env or {})}
    with open(log_path, 'wb') as log:
        proc = subprocess.Popen([PYTHON, *args], cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, proc, timeout)
            yield proc
        finally:
            stop_process(proc)


def stop_process(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def sandbox_upstream(latency: str = '0', *, create_share: float | None = None,
                     cover_bytes: int = 0) -> Iterator[str]:
    """The project's sandbox platform in its own process; yields its base URL."""
    port = free_port()
    args = ['-m', 'bench.sandbox_server', '--port', str(port), '--latency', latency]
    if create_share is not None:
        args += ['--create-share', str(create_share)]
    if cover_bytes:
        args += ['--cover-bytes', str(cover_bytes)]
    with server_process(args, port, log_name='sandbox'):
        yield f'http://{HOST}:{port}'


def bench_principal(owner: str) -> Any:
    """A signed-in person for the service layer, signing with the benchmark sandbox's key."""
    from bench.sandbox_server import BENCH_KEY, BENCH_SECRET
    from services.auth.sessions import Principal
    from services.core.secret import Secret
    from services.platform.client import Credentials

    creds = Credentials(BENCH_KEY, Secret(BENCH_SECRET), owner)
    return Principal(owner_id=f'demo-{owner}', user_id=owner, display_name=owner, mode='demo', credentials=creds)
