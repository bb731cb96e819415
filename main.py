"""Agent Studio.

`python main.py` starts the web app (on its embedded sandbox unless PLATFORM_BASE_URL is set);
`python main.py users ...` manages tool accounts.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys

from nicegui import app, ui

import pages
from runtime import runtime
from services.core.secret import install_log_redaction
from services.core.settings import SettingsError, get_settings
from services.core.storage_secret import resolve_storage_secret


def register_pages() -> None:
    """Import every module in pages/: each registers its own routes (and the access middleware)."""
    for module in pkgutil.iter_modules(pages.__path__):
        importlib.import_module(f'pages.{module.name}')


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == 'users':
        from services.cli.users import run as run_users_cli

        sys.exit(run_users_cli(sys.argv[2:]))
    try:
        settings = get_settings()
        storage_secret = resolve_storage_secret(settings)
    except SettingsError as error:
        sys.exit(f'Configuration error: {error}')
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    install_log_redaction()

    try:
        if settings.uses_sandbox:
            from sandbox.embedded import mount_embedded_sandbox

            # The app talks to its own sandbox over real HTTP on loopback, signed like any real call.
            embedded = mount_embedded_sandbox(app, settings)
            runtime.configure(settings, base_url=embedded.base_url)
            runtime.operator_credentials = embedded.credentials
            runtime.sandbox = embedded
        else:
            runtime.configure(settings)
    except SettingsError as error:
        sys.exit(f'Configuration error: {error}')
    app.on_shutdown(runtime.shutdown)
    register_pages()

    # reconnect_timeout also sets socket.io's ping timeout (0.4x): at NiceGUI's default 3 s, one busy
    # second on a loaded 2-core host or a Wi-Fi hiccup in a demo room drops every open page.
    ui.run(host=settings.host, port=settings.port, title='Agent Studio', reload=False, show=False,
           storage_secret=storage_secret, favicon='🎭', reconnect_timeout=10.0)


if __name__ in {'__main__', '__mp_main__'}:
    main()
