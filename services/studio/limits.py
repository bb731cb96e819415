"""Fair use of the platform: how many cover generations may run at once, per person and in total.

Nothing is queued silently: a request over a limit is refused at once with a message that says when
to try again, estimated from the running generations' ages and the platform's documented 30-300 s.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from services.core.errors import UserFacingError
from services.core.i18n import _, ngettext

TYPICAL_SECONDS = (30, 300)


class LimitExceeded(UserFacingError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Lease:
    owner_id: str
    started: float
    _limits: GenerationLimits = field(repr=False)
    _released: bool = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._limits._release(self)


class GenerationLimits:
    def __init__(self, per_user: int, total: int) -> None:
        self.per_user = per_user
        self.total = total
        self._lock = threading.Lock()
        self._running: dict[str, list[Lease]] = {}

    def try_acquire(self, owner_id: str) -> Lease:
        now = time.time()
        with self._lock:
            mine = self._running.get(owner_id, [])
            everyone = [lease for leases in self._running.values() for lease in leases]
            if len(mine) >= self.per_user:
                wait = _estimate_wait(mine, now)
                raise LimitExceeded(
                    ngettext('You already have {count} cover generation running (the limit is {limit} per person). '
                             'Try again when one finishes, {when}.',
                             'You already have {count} cover generations running (the limit is {limit} per person). '
                             'Try again when one finishes, {when}.', len(mine))
                    .format(count=len(mine), limit=self.per_user, when=_when(wait)), wait)
            if len(everyone) >= self.total:
                wait = _estimate_wait(everyone, now)
                raise LimitExceeded(
                    _('The studio is generating {count} covers for everyone right now, its limit. Try again {when}.')
                    .format(count=len(everyone), when=_when(wait)), wait)
            lease = Lease(owner_id=owner_id, started=now, _limits=self)
            self._running.setdefault(owner_id, []).append(lease)
            return lease

    def running(self, owner_id: str | None = None) -> int:
        with self._lock:
            if owner_id is not None:
                return len(self._running.get(owner_id, []))
            return sum(len(v) for v in self._running.values())

    def _release(self, lease: Lease) -> None:
        with self._lock:
            leases = self._running.get(lease.owner_id, [])
            if lease in leases:
                leases.remove(lease)
            if not leases:
                self._running.pop(lease.owner_id, None)


def _estimate_wait(leases: list[Lease], now: float) -> float:
    """Seconds until the oldest running generation should be done at the latest."""
    oldest = min(lease.started for lease in leases)
    return max(5.0, TYPICAL_SECONDS[1] - (now - oldest))


def _when(seconds: float) -> str:
    if seconds < 90:
        return ngettext('in about {count} second', 'in about {count} seconds', round(seconds)) \
            .format(count=round(seconds))
    return ngettext('in about {count} minute at the latest', 'in about {count} minutes at the latest',
                    round(seconds / 60)).format(count=round(seconds / 60))
