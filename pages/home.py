"""/: the studio is the product's front door."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import ui


def setup() -> None:
    @ui.page('/')
    def home() -> RedirectResponse:
        return RedirectResponse('/studio', status_code=307)
