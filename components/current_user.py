"""Who is looking at this page: the signed-in Principal of the current browser, or None."""

from __future__ import annotations

from nicegui import app

from services.sessions import SESSION_KEY, Principal, store


def current_principal() -> Principal | None:
    """Works in page builders, event handlers and plain FastAPI routes (anything with a request/client)."""
    try:
        sid = app.storage.user.get(SESSION_KEY)
    except (RuntimeError, AssertionError, KeyError):
        return None  # no browser in this context (e.g. a background task)
    session = store.get(sid)
    return session.principal if session else None
