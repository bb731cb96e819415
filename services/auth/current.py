"""Who is looking at this page: the signed-in Principal of the current browser, or None."""

from __future__ import annotations

from nicegui import app

from services.auth.sessions import SESSION_KEY, Principal
from services.auth.signin import valid_session


def current_principal() -> Principal | None:
    """Works in page builders, event handlers and plain FastAPI routes (anything with a request/client).

    Goes through the sign-in service's check, so a session whose account was removed or whose password
    changed stops working here too, not only in the access middleware."""
    try:
        sid = app.storage.user.get(SESSION_KEY)
    except (RuntimeError, AssertionError, KeyError):
        return None  # no browser in this context (e.g. a background task)
    session = valid_session(sid)
    return session.principal if session else None
