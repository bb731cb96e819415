from fastapi.responses import RedirectResponse
from nicegui import app


@app.get('/', include_in_schema=False)
def home() -> RedirectResponse:
    """The studio is the product's front door."""
    return RedirectResponse('/studio', status_code=307)
