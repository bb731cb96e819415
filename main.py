"""Agent Studio: `python main.py` starts the web app (on its embedded sandbox unless PLATFORM_BASE_URL is set)."""

from __future__ import annotations

import logging
import sys

from nicegui import ui

from services.settings import SettingsError, get_settings


def main() -> None:
    try:
        settings = get_settings()
    except SettingsError as error:
        sys.exit(f'Configuration error: {error}')
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')

    @ui.page('/')
    def home() -> None:
        ui.label('Agent Studio').classes('text-2xl')

    ui.run(host=settings.host, port=settings.port, title='Agent Studio', reload=False, show=False,
           storage_secret='placeholder-until-sessions-land')


if __name__ in {'__main__', '__mp_main__'}:
    main()
