"""The admin page's cover budgets: each person's use today and over the last 7 days, and a budget per account.

Use is what `cover_uses` counted (covers only: failed generations are refunded), per person, of every instance.
A tool account's budget may be set here, per hour and per day; an empty field keeps the deployment's default for
that window (STUDIO_COVERS_PER_HOUR / STUDIO_COVERS_PER_DAY), 0 means no limit. "Today" is the UTC day, like
every time on this page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from nicegui import ui

from components.bidi import name_label
from runtime import runtime
from services.auth.names import display_user_id, platform_user_id
from services.auth.principal import owner_id_for
from services.auth.sessions import Session
from services.core.budget_settings import Budget
from services.core.db import DatabaseUnavailable
from services.core.i18n import N_, _, ngettext
from services.studio.budgets import DAY, Override, Use

MODE_NAMES = {'account': N_('tool account'), 'byok': N_('own key'), 'demo': N_('sandbox demo')}


def describe_budget(budget: Budget) -> str:
    hour = _('{count} per hour').format(count=budget.per_hour) if budget.per_hour else _('no hourly limit')
    day = _('{count} per day').format(count=budget.per_day) if budget.per_day else _('no daily limit')
    return _('{hour}, {day}').format(hour=hour, day=day)


def parse_count(text: str | float | None) -> int | None:
    """'' (or None) keeps the default; otherwise a whole number of at least 0. Raises ValueError in words."""
    if text is None or str(text).strip() == '':
        return None
    raw = str(text).strip()
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(_('{value} is not a number of covers').format(value=repr(raw))) from None
    if value < 0 or value != int(value):
        raise ValueError(_('{value} is not a whole number of covers of at least 0').format(value=repr(raw)))
    return int(value)


async def budgets_view(mine: Session) -> None:
    settings = runtime.budgets.settings

    @ui.refreshable
    async def listing() -> None:
        now = datetime.now(UTC)
        today_from = now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        try:
            uses = await runtime.budgets.usage(today_from, today_from - 6 * DAY)
            overrides = await runtime.budgets.overrides()
        except DatabaseUnavailable as unavailable:
            ui.label(unavailable.user_message).classes('text-sm text-orange-9').mark('budgets')
            return
        by_owner = {use.owner_id: use for use in uses}
        accounts = {owner_id_for('account', platform_user_id(account.name)): account.name
                    for account in runtime.accounts.list()}
        owners = list(dict.fromkeys([*by_owner, *sorted(accounts, key=lambda owner: accounts[owner].lower())]))
        with ui.expansion(ngettext('Cover budgets: {count} person generated covers in the last 7 days',
                                   'Cover budgets: {count} people generated covers in the last 7 days',
                                   len(uses)).format(count=len(uses)),
                          icon='data_usage').classes('w-full').props('dense header-class="text-base"') \
                .mark('budgets'):
            ui.label(_('Default: {people}; sandbox demo visitors: {demo}. Only covers count (failed generations do '
                       'not); the windows roll (the last hour, the last 24 hours). Today is the UTC day.').format(
                people=describe_budget(settings.people), demo=describe_budget(settings.demo))) \
                .classes('text-xs text-slate-500')
            for owner in owners:
                _person_row(owner, by_owner.get(owner), accounts.get(owner), overrides.get(owner))

    def _person_row(owner: str, use: Use | None, account: str | None, override: Override | None) -> None:
        who = account or display_user_id(use.user_id if use else owner)
        mode = 'account' if account else (use.mode if use else 'account')
        with ui.row().classes('items-center gap-3 w-full text-sm no-wrap').mark('budget-row'):
            name_label(who).classes('font-medium min-w-[8rem]')
            ui.label(_(MODE_NAMES[mode]) if mode in MODE_NAMES else mode).classes('text-slate-600 min-w-[7rem]')
            ui.label(_('today {today} · last 7 days {week}').format(today=use.today if use else 0,
                                                                   week=use.week if use else 0)) \
                .classes('text-slate-700 min-w-[12rem]').mark('budget-use')
            if account is None:  # demo visitors and own keys come and go: the defaults apply to them
                default = settings.demo if mode == 'demo' else settings.people
                ui.label(describe_budget(default)).classes('text-slate-500 grow')
                return
            hour = ui.input(_('per hour'), value='' if override is None or override.per_hour is None
                            else str(override.per_hour), placeholder=str(settings.people.per_hour or _('none'))) \
                .props('dense').classes('w-24').mark(f'budget-hour-{account}')
            day = ui.input(_('per day'), value='' if override is None or override.per_day is None
                           else str(override.per_day), placeholder=str(settings.people.per_day or _('none'))) \
                .props('dense').classes('w-24').mark(f'budget-day-{account}')
            ui.button(_('Save'), on_click=lambda: save(owner, account, hour.value, day.value)) \
                .props('flat dense no-caps').mark(f'budget-save-{account}')
            if override is not None:
                ui.label(_('set by {name}').format(name=override.updated_by)).classes('text-xs text-slate-500') \
                    .mark('budget-set-by')

    async def save(owner: str, account: str, hour: str, day: str) -> None:
        try:
            per_hour, per_day = parse_count(hour), parse_count(day)
        except ValueError as error:
            ui.notify(_('{problem}. Leave a field empty for the default, or 0 for no limit.').format(problem=error),
                      type='warning')
            return
        try:
            await runtime.budgets.set_override(owner, per_hour, per_day, by=mine.principal.user_id)
        except DatabaseUnavailable as unavailable:
            ui.notify(unavailable.user_message, type='warning')
            return
        runtime.audit.record('budget.changed', actor=mine.principal.user_id,
                             detail=f'cover budget of {account}: per hour {_or_default(per_hour)}, per day '
                                    f'{_or_default(per_day)}')
        ui.notify(_('Saved the cover budget of {name}.').format(name=account), type='positive')
        listing.refresh()

    await listing()


def _or_default(value: int | None) -> str:
    return 'default' if value is None else ('no limit' if value == 0 else str(value))
