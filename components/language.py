"""Which language a page reads, the switch that changes it, and what a switch must not lose.

The language of a page is settled once per page (per NiceGUI client), the first time anything on it is worded:
the person's own setting (services/auth/preferences.py, kept with their owner id), else the choice this browser
made before signing in (`app.storage.user`), else the browser's Accept-Language, else English. The sign-in page
has no person yet, so it follows the browser.

Switching rebuilds the page by reloading it, because a NiceGUI page is built once per client and every label on it
was worded then. What a reload would lose is carried over: a studio draft is on the server already (saved on every
change, services/studio/drafts.py), jobs and replies run on the server and outlive the page (a streamed reply waits
ORPHAN_GRACE seconds for its page to come back), and what is typed but not saved anywhere (a chat message, a search,
a username, a filter) is copied into this tab's storage just before the reload and put back in the rebuilt page's
fields of the same marker. Passwords, API keys and secrets are never copied (they must not be kept anywhere).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from nicegui import Client, app, ui
from nicegui.element import Element
from nicegui.elements.mixins.value_element import ValueElement
from nicegui.slot import Slot, get_task_id

from runtime import runtime
from services.core import i18n
from services.core.i18n import LANGUAGES, _

log = logging.getLogger(__name__)

KEY = 'language'  # in client.storage (this page's settled language) and app.storage.user (this browser's choice)
CARRY_KEY = 'carried-fields'  # in app.storage.tab: what was typed, across the reload of a language switch
CARRY_SECONDS = 30.0  # a carried copy older than this is not put back (it was not this switch's reload)
NO_CARRY = 'no-carry'  # a marker for fields that must never be copied even when not of type password
# The kinds of field whose value is something a person entered (not a stepper's or a tab's position).
_CARRIED_KINDS = (ui.input, ui.textarea, ui.number, ui.select, ui.checkbox, ui.switch, ui.radio, ui.toggle)


def setup() -> None:
    """Wire the interface language into gettext and the page life cycle (once per app, from main)."""
    i18n.set_resolver(page_language)
    app.on_connect(_put_back_carried)


# --- the language of the page being served ---------------------------------------------------------------------

def _current_client() -> Client | None:
    # Not ui.context.client: outside any page that creates a stand-in client (script mode) or raises.
    stack = Slot.stacks.get(get_task_id())
    if not stack:
        return None
    try:
        return stack[-1].parent.client
    except RuntimeError:  # the page was closed while this task still ran: nobody to word it for
        return None


def page_language() -> str | None:
    client = _current_client()
    if client is None:
        return None
    language = client.storage.get(KEY)
    if language is None:
        language = choose_language(client)
        client.storage[KEY] = language
    return str(language)


def choose_language(client: Client) -> str:
    principal = None
    try:
        principal = runtime.auth.current_principal()
    except RuntimeError:  # no request behind this client (a test's stand-in): follow the browser only
        pass
    if principal is not None:
        own = runtime.preferences.language(principal.owner_id)
        if own is not None:
            return own
    try:
        chosen = app.storage.user.get(KEY)
    except (RuntimeError, AssertionError):
        chosen = None
    if chosen in LANGUAGES:
        return str(chosen)
    try:
        header = client.request.headers.get('accept-language')
    except (RuntimeError, AttributeError):  # a client made without a request
        header = None
    return i18n.negotiate(header) or i18n.DEFAULT


def html_lang(language: str) -> str:
    """The page's `lang`: it picks the Chinese or Japanese glyphs of the CJK font (the same code points differ)."""
    return {'zh': 'zh-Hans', 'ja': 'ja', 'en': 'en'}[language]


# --- the switch ------------------------------------------------------------------------------------------------

def language_choices() -> dict[str, str]:
    return dict(LANGUAGES)


async def switch_to(language: str) -> None:
    """Make `language` this person's (or, before sign-in, this browser's) and redraw the page in it."""
    if language not in LANGUAGES:
        return
    client = ui.context.client
    before = i18n.current_language()
    app.storage.user[KEY] = language
    principal = runtime.auth.current_principal()
    if principal is not None:
        await runtime.preferences.set_language(principal.owner_id, language)
        _studio_follows(principal.owner_id, before, language)
    if language == before:
        return
    carry(client)
    client.storage[KEY] = language
    ui.navigate.reload()


def _studio_follows(owner_id: str, before: str, after: str) -> None:
    """Option labels shown in the interface language keep following it; a language chosen for them stays."""
    draft = runtime.drafts.get(owner_id)
    if draft.options_language == before and after != before:
        runtime.drafts.update(owner_id, options_language=after)


def language_menu_items() -> None:
    """The user menu's language entries: each language in its own name, the current one ticked."""
    current = i18n.current_language()
    ui.label(_('Language')).classes('px-4 pt-2 text-xs text-grey-7')
    for code, name in LANGUAGES.items():
        with ui.menu_item(on_click=lambda c=code: switch_to(c)).props('dense').mark(f'language-{code}'):
            with ui.row().classes('items-center gap-2 no-wrap'):
                ui.icon('check' if code == current else 'none').classes('text-primary')
                ui.label(name).props(f'lang={html_lang(code)}')


def language_select() -> ui.select:
    """A compact switch for pages without a user menu (the sign-in page)."""
    return ui.select(language_choices(), value=i18n.current_language(),
                     on_change=lambda e: switch_to(str(e.value))) \
        .props(f'dense borderless options-dense aria-label="{_("Language")}"').classes('w-28') \
        .mark('language-select', NO_CARRY)


# --- what a reload must not lose -------------------------------------------------------------------------------

def _carried_fields(client: Client) -> dict[str, Element]:
    """The fields of this page worth carrying, by marker; a marker used by two fields names neither."""
    found: dict[str, Element] = {}
    doubled: set[str] = set()
    for element in list(client.elements.values()):
        if not isinstance(element, _CARRIED_KINDS) or NO_CARRY in element._markers:
            continue
        if element.props.get('type') == 'password' or getattr(element, 'password', False):
            continue
        for marker in element._markers:
            if marker in found:
                doubled.add(marker)
            found[marker] = element
    return {marker: element for marker, element in found.items() if marker not in doubled}


def carry(client: Client) -> None:
    values: dict[str, Any] = {}
    for marker, element in _carried_fields(client).items():
        assert isinstance(element, ValueElement)
        value = element.value
        if value not in (None, '') and isinstance(value, str | int | float | bool | list):
            values[marker] = value
    try:
        app.storage.tab[CARRY_KEY] = {'path': _where(client), 'at': time.time(), 'values': values}
    except RuntimeError:  # no tab storage yet (not connected): nothing typed to lose either
        log.debug('no tab storage to carry fields in')


def _where(client: Client) -> str:
    url = client.request.url
    return url.path + (f'?{url.query}' if url.query else '')


def _put_back_carried(client: Client) -> None:
    with client:
        try:
            carried = app.storage.tab.pop(CARRY_KEY, None)
        except RuntimeError:
            return
        if not isinstance(carried, dict) or carried.get('path') != _where(client) or \
                time.time() - float(carried.get('at') or 0) > CARRY_SECONDS:
            return
        fields = _carried_fields(client)
        for marker, value in (carried.get('values') or {}).items():
            element = fields.get(marker)
            # What was typed is newer than what the page was rebuilt from (a debounced save may not have run).
            if isinstance(element, ValueElement) and element.value != value:
                element.value = value
