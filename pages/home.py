from nicegui import ui


@ui.page('/')
def home() -> None:
    ui.label('Agent Studio').classes('text-2xl')
