"""The configuration error and the value parsers that every settings module shares (the app's, the chat's, the
sandbox's), kept apart from services/core/settings.py so those modules can use them without importing each other."""

from __future__ import annotations

from services.core.errors import UserFacingError


class SettingsError(UserFacingError, ValueError):
    """A configuration value is missing or malformed; the message, for the operator, names the variable."""


def parse_latency(raw: str, *, var: str = 'latency') -> tuple[float, float]:
    """'0', '2.5' or '5-12' (seconds) -> (low, high)."""
    try:
        low, _, high = raw.partition('-')
        lo = float(low)
        hi = float(high) if high else lo
    except ValueError:
        raise SettingsError(f'{var} must be seconds, fixed ("3") or a range ("5-12"), got {raw!r}') from None
    if lo < 0 or hi < lo:
        raise SettingsError(f'{var} must be a non-negative range with low <= high, got {raw!r}')
    return lo, hi
