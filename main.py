"""Agent Studio.

`python main.py` starts the web app (on its embedded sandbox unless PLATFORM_BASE_URL is set);
`python main.py users ...` manages tool accounts; `python main.py db upgrade|current` migrates the database;
any other word prints the commands and exits non-zero (services/cli/commands.py).

Everything is wired here, once, in this order: settings → the runtime's services (runtime.py) → the access
middleware → each feature's pages (`setup()` per module). Nothing registers itself on import.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi.middleware.gzip import GZipMiddleware
from nicegui import app, ui
from starlette.types import ASGIApp

from components import language, speedups
from pages import admin, agents, chat, health, home, login, logout, media, metrics, requests, studio
from runtime import runtime
from sandbox.embedded import MAX_BODY_BYTES as SANDBOX_MAX_BODY
from sandbox.embedded import MOUNT_PATH as SANDBOX_MOUNT
from sandbox.embedded import mount_embedded_sandbox
from services.cli.commands import dispatch
from services.core import gc_policy
from services.core.body_limit import BodyLimit
from services.core.db import DatabaseUnavailable
from services.core.logs import configure_logging, server_log_options
from services.core.redis_check import wait_for_redis
from services.core.secret import install_log_redaction
from services.core.settings import SettingsError, get_settings
from services.core.storage_secret import resolve_storage_secret
from services.studio.upload_rules import body_limits


def _own_arguments() -> list[str]:
    """sys.argv[1:] when this file is the program, else []: NiceGUI's test fixtures run it with runpy inside
    pytest, which points sys.argv[0] at this file but leaves pytest's own arguments after it. The command line
    as typed (sys.orig_argv) names this file only when it really is the program."""
    script_at = len(sys.orig_argv) - len(sys.argv)
    script = sys.orig_argv[script_at] if 0 <= script_at < len(sys.orig_argv) else ''
    return sys.argv[1:] if script and Path(script).resolve() == Path(__file__).resolve() else []


def main() -> None:
    exit_code = dispatch(_own_arguments())
    if exit_code is not None:
        sys.exit(exit_code)
    try:
        settings = get_settings()
        storage_secret = resolve_storage_secret(settings)
        if settings.redis_url.get():
            wait_for_redis(settings.redis_url)
    except SettingsError as error:
        sys.exit(f'Configuration error: {error}')
    configure_logging(settings.log_format)  # STUDIO_LOG_FORMAT=json: one JSON object per line
    install_log_redaction()

    try:
        # With no upstream configured the app talks to its own sandbox, mounted here, over real HTTP on loopback,
        # signed like any real call; with STUDIO_DEMO_SANDBOX_URL to a standalone one that other instances share.
        embedded = mount_embedded_sandbox(app, settings) if settings.embeds_sandbox else None
        runtime.configure(settings, storage_secret=storage_secret, sandbox=embedded)
    except SettingsError as error:
        sys.exit(f'Configuration error: {error}')
    except DatabaseUnavailable as error:  # migrations run at start-up: the database must answer then
        sys.exit(f'Database unavailable, not starting: {error}')
    app.on_startup(lambda: runtime.start(stop=app.shutdown))
    app.on_startup(gc_policy.after_start_up)  # after the others: what they loaded is frozen too
    app.on_shutdown(runtime.shutdown)
    runtime.access.setup(app)
    # Added last, so it runs first: an oversized body is refused before any other middleware or route sees it.
    app.add_middleware(BodyLimit, limit_for=body_limits(settings.max_upload_bytes,
                                                        own_limits={f'{SANDBOX_MOUNT}/': SANDBOX_MAX_BODY}))
    language.setup()  # every page's words follow its reader's language (services/core/i18n.py)
    for feature in (home, login, logout, studio, agents, chat, media, admin, requests, metrics, health):
        feature.setup()
    speedups.install()  # NiceGUI's signature look-ups were a fifth of a busy loop's time (bench figure 10)

    # reconnect_timeout also sets socket.io's ping timeout (0.4x). At NiceGUI's default 3 s, one busy second on
    # a loaded 2-core host or a Wi-Fi hiccup in a demo room dropped every open page; at 10 s (a 4 s ping timeout)
    # an instance busy with a hundred people at once still closed sockets whose pong it had not read yet (bench
    # figure 10: 191 of 200 dropped). 20 s waits out a busy stretch; a closed tab's page is kept 20 s.
    ui.run(host=settings.host, port=settings.port, title='Agent Studio', reload=False, show=False,
           storage_secret=storage_secret, favicon='🎭', reconnect_timeout=20.0,
           gzip_middleware_factory=_gzip,
           **server_log_options(settings.log_format))


def _gzip(inner: ASGIApp) -> GZipMiddleware:
    # Starlette's default level 9 cost 12 % of a busy instance's loop (bench figure 10) for pages a few per cent
    # smaller than level 5 makes them. Behind nginx the instances compress nothing (deploy/nginx.conf.in).
    return GZipMiddleware(inner, minimum_size=500, compresslevel=5)


if __name__ in {'__main__', '__mp_main__'}:
    main()
