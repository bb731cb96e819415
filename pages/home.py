from fastapi.responses import RedirectResponse
from nicegui import ui


@ui.page('/')
def home() -> RedirectResponse:
    """The studio is the product's front door."""
    return RedirectResponse('/studio', status_code=307)
