"""Agent Studio.

`python main.py` starts the web app (on its embedded sandbox unless PLATFORM_BASE_URL is set);
`python main.py users ...` manages tool accounts; `python main.py db upgrade|current` migrates the database.

Everything is wired here, once, in this order: settings → the runtime's services (runtime.py) → the access
middleware → each feature's pages (`setup()` per module). Nothing registers itself on import.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from nicegui import app, ui

from pages import admin, agents, home, login, logout, media, studio
from runtime import runtime
from sandbox.embedded import mount_embedded_sandbox
from services.cli.db import run as run_db_cli
from services.cli.users import run as run_users_cli
from services.core.redis_check import wait_for_redis
from services.core.secret import install_log_redaction
from services.core.settings import SettingsError, get_settings
from services.core.storage_secret import resolve_storage_secret


def main() -> None:
    commands: dict[str, Callable[[list[str]], int]] = {'users': run_users_cli, 'db': run_db_cli}
    if len(sys.argv) > 1 and sys.argv[1] in commands:
        sys.exit(commands[sys.argv[1]](sys.argv[2:]))
    try:
        settings = get_settings()
        storage_secret = resolve_storage_secret(settings)
        if settings.redis_url.get():
            wait_for_redis(settings.redis_url)
    except SettingsError as error:
        sys.exit(f'Configuration error: {error}')
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    install_log_redaction()

    try:
        # With no upstream configured the app talks to its own sandbox, mounted here, over real HTTP on loopback,
        # signed like any real call; with STUDIO_DEMO_SANDBOX_URL to a standalone one that other instances share.
        embedded = mount_embedded_sandbox(app, settings) if settings.embeds_sandbox else None
        runtime.configure(settings, storage_secret=storage_secret, sandbox=embedded)
    except SettingsError as error:
        sys.exit(f'Configuration error: {error}')
    app.on_shutdown(runtime.shutdown)
    runtime.access.setup(app)
    for feature in (home, login, logout, studio, agents, media, admin):
        feature.setup()

    # reconnect_timeout also sets socket.io's ping timeout (0.4x): at NiceGUI's default 3 s, one busy
    # second on a loaded 2-core host or a Wi-Fi hiccup in a demo room drops every open page.
    ui.run(host=settings.host, port=settings.port, title='Agent Studio', reload=False, show=False,
           storage_secret=storage_secret, favicon='🎭', reconnect_timeout=10.0)


if __name__ in {'__main__', '__mp_main__'}:
    main()
