"""Prometheus metrics, through the prometheus-client library, served at /metrics (pages/metrics.py).

One registry for the process (not the library's global default, so nothing another library registers there
appears here by accident), defined at import: counters must survive the runtime being configured again (tests do
that per app), and a name can be registered only once. What moves them:

- platform requests by endpoint and outcome, with latency histograms, retries and clock corrections:
  services/platform/observe.py, a PlatformClient observer;
- jobs running and finished by kind and outcome: services/studio/jobs.py (`job_finished`) and a scrape-time count;
- connected pages: a scrape-time count of NiceGUI clients (pages/metrics.py);
- sign-ins by outcome: services/auth/signin.py (`sign_in_event`);
- event-loop lag: `watch_loop_lag`, a task measuring how late a short sleep wakes up.

Label values are always from small fixed sets (configured endpoint paths, outcome names, job kinds), never a user
id or a message, so the number of series stays bounded.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from collections.abc import Callable, Iterable, Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# Without this every counter gets a twin `_created` series of its start time, which doubles the output for a fact
# Prometheus already derives from counter resets.
disable_created_metrics()
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # CPU, memory, open files: what an operator looks at first
REGISTRY.register(GC_COLLECTOR)

# Covers take 30-300 s and the slow timeout is 360 s; the other calls answer in well under a second.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 360.0)
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

PLATFORM_REQUESTS = Counter('studio_platform_requests', 'Signed requests to the platform (each retry counts), '
                            'by endpoint and outcome', ['endpoint', 'outcome'], registry=REGISTRY)
PLATFORM_LATENCY = Histogram('studio_platform_request_duration_seconds', 'Time from sending a request to the '
                             'platform until its answer was read, or it failed', ['endpoint', 'outcome'],
                             buckets=LATENCY_BUCKETS, registry=REGISTRY)
PLATFORM_RETRIES = Counter('studio_platform_retries', 'Requests that retried a failed one', ['endpoint'],
                           registry=REGISTRY)
CLOCK_CORRECTIONS = Counter('studio_platform_clock_corrections', 'Requests signed again with a corrected clock '
                            'after the platform said the clocks disagree', registry=REGISTRY)
JOBS_FINISHED = Counter('studio_jobs_finished', 'Cover generations and agent creations that ended, by kind and '
                        'outcome', ['kind', 'outcome'], registry=REGISTRY)
SIGN_INS = Counter('studio_sign_ins', 'Sign-in attempts by outcome', ['outcome'], registry=REGISTRY)
CONNECTED_PAGES = Gauge('studio_connected_pages', 'Browser pages connected to this instance', registry=REGISTRY)
LOOP_LAG = Histogram('studio_event_loop_lag_seconds', 'How late a 0.5 s sleep on the event loop woke up: time '
                     'the loop was busy with something else', buckets=LAG_BUCKETS, registry=REGISTRY)
REQUEST_LOG_DROPPED = Counter('studio_request_log_dropped', 'Request-log entries not written (the writer fell '
                              'behind or the database could not be used)', registry=REGISTRY)
REQUEST_LOG_PENDING = Gauge('studio_request_log_pending', 'Request-log entries waiting to be written',
                            registry=REGISTRY)

LOOP_LAG_INTERVAL = 0.5


def sign_in_event(event: str) -> None:
    """Count a sign-in from its audit event name ('auth.sign_in', 'auth.sign_in_failed'); others are ignored."""
    outcome = {'auth.sign_in': 'ok', 'auth.sign_in_failed': 'failed'}.get(event)
    if outcome is not None:
        SIGN_INS.labels(outcome=outcome).inc()


def job_finished(kind: str, outcome: str) -> None:
    JOBS_FINISHED.labels(kind=kind, outcome=outcome).inc()


class _RunningJobs(Collector):
    """`studio_jobs_running{kind}`, counted when scraped from whatever `source` the runtime gave (a gauge kept by
    hand drifts for good the first time a start or an end is missed)."""

    def __init__(self) -> None:
        self.source: Callable[[], Mapping[str, int]] | None = None

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily('studio_jobs_running', 'Cover generations and agent creations running in this '
                                   'instance, by kind', labels=['kind'])
        counts = dict(self.source()) if self.source is not None else {}
        for kind in sorted({'cover', 'create', *counts}):
            family.add_metric([kind], counts.get(kind, 0))
        yield family


RUNNING_JOBS = _RunningJobs()
REGISTRY.register(RUNNING_JOBS)


def count_running_jobs(source: Callable[[], Mapping[str, int]] | None) -> None:
    RUNNING_JOBS.source = source


async def watch_loop_lag(interval: float = LOOP_LAG_INTERVAL) -> None:
    """Forever: sleep `interval` and record how much later than asked the loop woke us (it was busy)."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(interval)
        LOOP_LAG.observe(max(0.0, loop.time() - started - interval))


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# A proxy on the same machine makes every visitor look like loopback; these headers show that one was in between.
PROXY_HEADERS = ('forwarded', 'x-forwarded-for', 'x-real-ip')


def may_read_metrics(client_host: str | None, headers: Mapping[str, str], token: str) -> bool:
    """True when the configured token is presented (`Authorization: Bearer <token>`), or the request comes straight
    from loopback (not through a proxy that says it forwarded someone else's request)."""
    if token:
        scheme, _, presented = headers.get('authorization', '').partition(' ')
        if scheme.lower() == 'bearer' and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    if any(name in headers for name in PROXY_HEADERS):
        return False
    try:
        return client_host is not None and ipaddress.ip_address(client_host).is_loopback
    except ValueError:  # 'testclient' and other names that are not addresses
        return False
