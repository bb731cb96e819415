"""What every signed request tells the operator: its outcome, counted in the metrics and, when it failed, a log line
with the trace id, request id, person and endpoint. Both are PlatformClient observers (see Exchange)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from services.core import metrics
from services.platform.client import Exchange
from services.platform.errors import (
    AuthenticationError,
    BusinessError,
    PlatformError,
    ProtocolError,
    TransportError,
    UpstreamTimeout,
    UpstreamUnreachable,
)

log = logging.getLogger('services.platform.requests')

# Most specific first. 'ok' is a success envelope; 'cancelled' the studio giving up (a cancelled cover).
OUTCOMES: tuple[tuple[type[BaseException], str], ...] = (
    (AuthenticationError, 'auth'),
    (BusinessError, 'business'),
    (ProtocolError, 'protocol'),
    (UpstreamTimeout, 'timeout'),
    (UpstreamUnreachable, 'unreachable'),
    (TransportError, 'transport'),
    (asyncio.CancelledError, 'cancelled'),
)
OUTCOME_NAMES = ('ok', *(name for _, name in OUTCOMES), 'error')
NOT_FAILURES = ('ok', 'cancelled')


def outcome_of(error: BaseException | None) -> str:
    if error is None:
        return 'ok'
    return next((name for cls, name in OUTCOMES if isinstance(error, cls)), 'error')


def request_id_of(exchange: Exchange) -> str | None:
    return exchange.request.headers.get('X-Request-ID') if exchange.request is not None else None


def trace_id_of(exchange: Exchange) -> str | None:
    if exchange.result is not None:
        return exchange.result.trace_id
    return exchange.error.trace_id if isinstance(exchange.error, PlatformError) else None


def count(exchange: Exchange) -> None:
    outcome = outcome_of(exchange.error)
    metrics.PLATFORM_REQUESTS.labels(endpoint=exchange.path, outcome=outcome).inc()
    metrics.PLATFORM_LATENCY.labels(endpoint=exchange.path, outcome=outcome).observe(exchange.duration)
    if exchange.attempt > 1:
        metrics.PLATFORM_RETRIES.labels(endpoint=exchange.path).inc()
    if exchange.resigned:
        metrics.CLOCK_CORRECTIONS.inc()


def log_failure(exchange: Exchange) -> None:
    """One line per failed request. A person's mistake (a business error) or a cancel is INFO; the platform
    refusing, or not answering as documented, is WARNING."""
    outcome = outcome_of(exchange.error)
    if outcome == 'ok':
        return
    status = exchange.response.status_code if exchange.response is not None else None
    level = logging.INFO if outcome in ('business', 'cancelled') else logging.WARNING
    fields = {'trace_id': trace_id_of(exchange), 'request_id': request_id_of(exchange),
              'person': exchange.owner or exchange.user_id, 'endpoint': exchange.path}
    log.log(level, 'POST %s %s after %.0f ms (HTTP %s, attempt %d): %s', exchange.path, outcome,
            exchange.duration * 1000, status if status is not None else '-', exchange.attempt,
            exchange.error if outcome != 'cancelled' else 'the studio stopped waiting', extra=fields)


OBSERVERS: tuple[Callable[[Exchange], None], ...] = (count, log_failure)
