"""Figure 10: capacity, 200 people running the whole flow at the same moment through nginx onto two instances.

The deployment of deploy/cluster.py on this machine (PostgreSQL, Redis, one standalone sandbox, two instances,
nginx), each instance started by bench/fig10_instance.py so it records its own event-loop lag. The people are
simulated browsers (tests/reliability/socket_user.py: the page over HTTP, NiceGUI's socket.io websocket, the same
events a browser sends), each doing what tests/reliability/test_load.py's people do: demo sign-in, a full look,
a reference photo (half with a face), Generate, name and voice while the cover is painted, Create, the created
agent. A probe person opens pages throughout. Then the same again with more people, to see where it bends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.common import ROOT, Figure, LoopLag, median, percentile
from deploy.cluster import Cluster, ClusterConfig, Ports
from tests.reliability import flows
from tests.reliability.socket_user import SocketUser

KEY = 'capacity'
TITLE = 'Capacity: whole flows through nginx on two instances'
FLOWS = 200
LEVELS = (200, 300)  # the target, then more people to find the next knee; BENCH_CAPACITY_LEVELS overrides
LATENCY = '3-6'  # seconds per cover, as the load test (creation takes a quarter)
STEP = 180.0
LAG_TARGET_MS = 50.0
PAGE_P95_TARGET_S = 2.0
TIMEOUT = 1500.0  # seconds the figure may take in all (bench/__main__.py reads it)
FIXTURES = ROOT / 'tests' / 'fixtures'
TARGET_TEXT = (f'{FLOWS} simultaneous whole flows all complete, none lost; every instance\'s loop lag p99 < '
               f'{LAG_TARGET_MS:g} ms; page loads p95 < {PAGE_P95_TARGET_S:g} s')


async def _flow(url: str, index: int, photos: dict[str, bytes]) -> dict[str, Any]:
    return await flows.whole_flow(url, index, photos, name=f'Capacity {index:03d}', user_name=f'p{index:03d}',
                                  within=STEP)


async def _probe(url: str, stop: asyncio.Event) -> tuple[list[float], list[str]]:
    """Another person opening pages throughout: the seconds each took, and what went wrong (a page that did not
    come counts as a failure, and the probe carries on, as a person would with a reload)."""
    timings: list[float] = []
    failures: list[str] = []
    user = SocketUser(url, 'probe', timeout=STEP)
    try:
        await flows.sign_in_demo(user, STEP)
        while not stop.is_set():
            for path, text in (('/agents', 'Your agents'), ('/studio', 'Create a character')):
                started = time.monotonic()
                try:
                    await user.open(path)
                    await user.should_see(text, STEP)
                    timings.append(time.monotonic() - started)
                except Exception as error:  # a load test reports failures, it does not stop at the first
                    failures.append(f'{path}: {type(error).__name__}: {str(error)[:200]}')
            await asyncio.sleep(0.5)
    finally:
        await user.close()
    return timings, failures


def _schedstat(pid: int) -> tuple[float, float]:
    """Seconds the thread `pid` (a process's main thread: its event loop) has run, and has waited runnable for a
    CPU (Linux /proc/<pid>/task/<pid>/schedstat; zeros where there is none)."""
    try:
        run_ns, wait_ns, _ = Path(f'/proc/{pid}/task/{pid}/schedstat').read_text().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(run_ns) / 1e9, int(wait_ns) / 1e9


def _ours(cluster: Cluster) -> list[psutil.Process]:
    """This process, everything it started (instances, sandbox, Redis, nginx) and PostgreSQL (pg_ctl detaches it)."""
    me = psutil.Process()
    found = [me, *me.children(recursive=True)]
    with contextlib.suppress(OSError, ValueError, psutil.Error):
        postmaster = psutil.Process(int((cluster.postgres.data_dir / 'postmaster.pid').read_text().split()[0]))
        found += [postmaster, *postmaster.children(recursive=True)]
    return found


class _Machine:
    """Who used the two cores during a run: the whole machine, the deployment and its load generator, the rest
    (other work on a shared machine), and the 1-minute load average every 5 s."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.loads: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def _cpu(self, process: psutil.Process) -> float:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            return float(times.user + times.system)
        return 0.0

    def start(self) -> None:
        self._processes = {p.pid: p for p in _ours(self.cluster)}
        self._before = {pid: self._cpu(p) for pid, p in self._processes.items()}
        self._machine_before = psutil.cpu_times()
        self._started = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            self.loads.append(os.getloadavg()[0])
            await asyncio.sleep(5)

    async def stop(self) -> dict[str, Any]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        elapsed = time.monotonic() - self._started
        for process in _ours(self.cluster):  # processes started during the run count from zero
            if process.pid not in self._processes:
                self._processes[process.pid], self._before[process.pid] = process, 0.0
        ours = sum(max(0.0, self._cpu(p) - self._before[pid]) for pid, p in self._processes.items())
        after, before = psutil.cpu_times(), self._machine_before
        busy = sum(after) - sum(before) - (after.idle - before.idle) - (after.iowait - before.iowait)
        return {'machine_busy_cores': round(busy / elapsed, 2), 'ours_cores': round(ours / elapsed, 2),
                'other_work_cores': round(max(0.0, busy - ours) / elapsed, 2),
                'load_average_1min': {'min': round(min(self.loads, default=0), 2),
                                      'mean': round(sum(self.loads) / max(1, len(self.loads)), 2),
                                      'max': round(max(self.loads, default=0), 2)}}


def _lag(path: Path, start: float, end: float) -> dict[str, float]:
    samples: list[float] = []
    full: list[float] = []  # the garbage collector's full (generation 2) collections, ms each
    young = 0.0
    for line in path.read_text().splitlines() if path.exists() else []:
        record = json.loads(line)
        if start <= record['t'] <= end + 1:
            samples.extend(record['lag_ms'])
            for generation, ms in record.get('gc_ms', []):
                if generation == 2:
                    full.append(ms)
                else:
                    young += ms
    return {'samples': len(samples), 'p50_ms': round(percentile(samples, 50), 2),
            'p99_ms': round(percentile(samples, 99), 2), 'max_ms': round(max(samples, default=0.0), 2),
            'gc_full_collections': len(full), 'gc_full_ms_total': round(sum(full)),
            'gc_full_ms_max': round(max(full, default=0.0)), 'gc_young_ms_total': round(young)}


async def _drive(cluster: Cluster, count: int) -> dict[str, Any]:
    photos = {name: (FIXTURES / f'{name}.png').read_bytes() for name in ('astronaut', 'coffee')}
    async with httpx.AsyncClient() as client:  # warm: each instance has served a page before the clock starts
        for instance in cluster.instances:
            (await client.get(instance.url('/login'))).raise_for_status()
    stop = asyncio.Event()
    probing = asyncio.create_task(_probe(cluster.url, stop))
    await asyncio.sleep(2)
    processes = {instance.name: psutil.Process(instance.pid) for instance in cluster.instances if instance.pid}
    cpu_before = {name: sum(p.cpu_times()[:2]) for name, p in processes.items()}
    sched_before = {name: _schedstat(p.pid) for name, p in processes.items()}
    me = psutil.Process()
    own_before = sum(me.cpu_times()[:2])
    own_sched_before = _schedstat(me.pid)
    machine = _Machine(cluster)
    machine.start()
    # The simulated browsers' own loop: if it lags, every page load they time includes that lag.
    own_lag = LoopLag().start()
    wall_start, started = time.time(), time.monotonic()
    results = await asyncio.gather(*(_flow(cluster.url, i, photos) for i in range(count)), return_exceptions=True)
    elapsed = time.monotonic() - started
    wall_end = time.time()
    await own_lag.stop()
    used = await machine.stop()
    sched = {name: _schedstat(p.pid) for name, p in processes.items()}
    own_sched = _schedstat(me.pid)
    stop.set()
    probe, probe_failures = await probing
    done = [r for r in results if isinstance(r, dict)]
    failures = [f'{type(r).__name__}: {str(r)[:300]}' for r in results if isinstance(r, BaseException)]
    opens = [t for r in done for t in r['opens']] + probe
    lag = {instance.name: _lag(Path(instance.env['BENCH_LAG_FILE']), wall_start, wall_end)
           for instance in cluster.instances}
    return {
        'people': count, 'completed': len(done), 'lost': count - len({r['agent_id'] for r in done}),
        'failures_sample': failures[:3], 'wall_seconds': round(elapsed, 1),
        'flow_seconds_median_max': [round(median([r['seconds'] for r in done]), 1),
                                    round(max((r['seconds'] for r in done), default=0), 1)],
        'per_instance_people': {a: sum(r['instance'] == a for r in done) for a in {r['instance'] for r in done}},
        'lag': lag, 'lag_p99_ms_worst': max(v['p99_ms'] for v in lag.values()),
        'page_loads': len(opens), 'page_load_p50_s': round(percentile(opens, 50), 2),
        'page_load_p95_s': round(percentile(opens, 95), 2), 'page_load_max_s': round(max(opens, default=0), 2),
        'probe_p95_s': round(percentile(probe, 95), 2), 'probe_max_s': round(max(probe, default=0), 2),
        'probe_failures': len(probe_failures), 'probe_failures_sample': probe_failures[:3],
        'sockets_dropped': sum(int(r['dropped']) for r in done), 'reloads': sum(int(r['reloads']) for r in done),
        # Who closed them, as socket.io's client reports it ('transport close': the other end or the network,
        # 'ping timeout': the server fell silent past its ping interval and timeout).
        'drop_reasons': dict(Counter(reason for r in done for reason in r['disconnect_reasons'])),
        'instance_cpu_share': {name: round((sum(p.cpu_times()[:2]) - cpu_before[name]) / elapsed, 2)
                               for name, p in processes.items()},
        'load_generator_cpu_share': round((sum(me.cpu_times()[:2]) - own_before) / elapsed, 2),
        # Share of the run each event loop spent runnable but waiting for a core (the machine was full), beside
        # the share it ran: a loop that is slow but neither runs nor waits for a CPU is waiting on something else.
        'loop_thread_ran_share': {name: round((sched[name][0] - sched_before[name][0]) / elapsed, 2)
                                  for name in processes},
        'loop_thread_waited_for_cpu_share': {name: round((sched[name][1] - sched_before[name][1]) / elapsed, 2)
                                             for name in processes},
        'load_generator_waited_for_cpu_share': round((own_sched[1] - own_sched_before[1]) / elapsed, 2),
        'load_generator_lag': own_lag.summary_ms(),
        'cores_used': used,
        'errors_logged': {instance.name: len(re.findall(r' ERROR |Traceback', instance.log_text()))
                          for instance in cluster.instances},
    }


def _level(count: int) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix='bench-fig10-'))
    root.chmod(0o711)  # PostgreSQL runs as `postgres` when this runs as root
    config = ClusterConfig(root=root, ports=Ports.free(2), sandbox_latency=LATENCY, durable=False,
                           instance_argv=('-m', 'bench.fig10_instance'), nginx_workers='1',
                           instance_env={'PLATFORM_TIMEOUT': '150', 'STUDIO_MAX_COVERS_TOTAL': str(count + 50)})
    cluster = Cluster(config)
    for instance in cluster.instances:
        instance.env['BENCH_LAG_FILE'] = str(root / f'{instance.name}-lag.jsonl')
    cluster.start()
    try:
        return asyncio.run(_drive(cluster, count))
    finally:
        cluster.stop()
        logs = ROOT / 'test-artifacts' / 'bench-logs' / f'fig10-{count}'
        logs.mkdir(parents=True, exist_ok=True)
        for log in (*root.glob('logs/*.log'), *root.glob('*-lag.jsonl'), cluster.nginx.access_log,
                    cluster.nginx.error_log):
            if log.exists():
                (logs / log.name).write_bytes(log.read_bytes())
        shutil.rmtree(root, ignore_errors=True)


def _met(level: dict[str, Any]) -> bool:
    return (level['completed'] == level['people'] and level['lost'] == 0 and level['probe_failures'] == 0
            and level['lag_p99_ms_worst'] < LAG_TARGET_MS and level['page_load_p95_s'] < PAGE_P95_TARGET_S)


def _cores(level: dict[str, Any]) -> str:
    """Who had the cores: what says whether the loops waited on the app or on the machine."""
    used = level.get('cores_used')
    if not used:
        return ''
    waited = level['loop_thread_waited_for_cpu_share']
    ran = level['loop_thread_ran_share']
    return (f' (the machine busy {used["machine_busy_cores"]:g} of 2 cores: this deployment and its simulated '
            f'browsers {used["ours_cores"]:g}, other work {used["other_work_cores"]:g}; load average '
            f'{used["load_average_1min"]["min"]:g}-{used["load_average_1min"]["max"]:g}; each instance\'s loop ran '
            f'{"/".join(f"{v:g}" for v in ran.values())} of the time and waited for a core '
            f'{"/".join(f"{v:g}" for v in waited.values())})')


def run(quick: bool = False) -> Figure:
    configured = os.environ.get('BENCH_CAPACITY_LEVELS', '')
    levels = [int(n) for n in configured.split(',') if n.strip()] if configured else ([40] if quick else list(LEVELS))
    results = [_level(count) for count in levels]
    headline = next((r for r in results if r['people'] == FLOWS), results[0])
    met = _met(headline) if headline['people'] == FLOWS else None
    holding = [r['people'] for r in results if _met(r)]
    bending = [r['people'] for r in results if not _met(r)]
    summary = '; '.join(
        f'{r["people"]} people: {r["completed"]} completed, {r["lost"]} lost, lag p99 {r["lag_p99_ms_worst"]:g} ms '
        f'(worst instance), page loads p95 {r["page_load_p95_s"]:g} s (max {r["page_load_max_s"]:g} s), '
        f'{r["sockets_dropped"]} sockets dropped, {r["wall_seconds"]:g} s' + _cores(r) for r in results)
    knee = (f'Targets held at {", ".join(map(str, holding)) or "no level"}; missed at '
            f'{", ".join(map(str, bending)) or "no level measured"}.')
    return Figure(
        key=KEY, title=TITLE, target=TARGET_TEXT, value=headline['page_load_p95_s'], unit='s page load p95', met=met,
        method=(f'deploy/cluster.py on this machine (PostgreSQL, Redis, one standalone sandbox with a {LATENCY} s '
                f'cover latency, two instances via bench/fig10_instance.py, nginx sticky by cookie); N simulated '
                'browsers (socket.io, as tests/reliability/test_load.py) start the whole flow at once through nginx '
                'while a probe opens pages; loop lag sampled inside each instance every 10 ms; page loads = every '
                'page the people and the probe opened (HTTP page + websocket connected). Everything, the load '
                'generator included, shares the same 2 cores.'),
        note=f'{summary}. {knee}',
        details={'levels': results},
    )
