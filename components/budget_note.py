"""How many covers a person has left, shown next to Generate before they press it (services/studio/budgets.py).

Read from the database on a worker thread after the note is drawn, so drawing the Cover step never waits for it;
the step is redrawn after every generation, which reads it again.
"""

from __future__ import annotations

import time

from nicegui import ui

from runtime import runtime
from services.auth.sessions import Principal
from services.core.db import DatabaseUnavailable
from services.studio.budgets import BudgetStatus
from services.studio.limits import Who, clock_time, in_words


def budget_text(status: BudgetStatus, now: float) -> str:
    """'' when no budget applies."""
    left = status.left
    if left is None:
        return ''
    if left == 0 and status.next_at is not None:
        return (f'No covers left for now: the next one at {clock_time(status.next_at)} '
                f'(in {in_words(status.next_at - now)}).')
    parts = []
    if status.left_hour is not None:
        parts.append(f'{status.left_hour} of {status.budget.per_hour} this hour')
    if status.left_day is not None:
        parts.append(f'{status.left_day} of {status.budget.per_day} in 24 hours')
    return f'{left} cover{"s" if left != 1 else ""} left ({", ".join(parts)}).'


def budget_note(principal: Principal) -> None:
    note = ui.label().classes('text-xs text-slate-600').mark('budget-note')
    note.set_visibility(False)

    async def fill() -> None:
        try:
            status = await runtime.limits.budget(Who(principal.owner_id, principal.user_id, principal.mode))
        except DatabaseUnavailable:
            return  # Generate says so if it matters; the note is a courtesy
        if note.is_deleted:
            return
        text = budget_text(status, time.time())
        note.set_text(text)
        note.set_visibility(bool(text))
        if status.left == 0:
            note.classes(add='text-orange-9 font-medium')

    ui.timer(0, fill, once=True)
