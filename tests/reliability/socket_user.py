"""A person without a browser: NiceGUI's own wire protocol (HTTP page + socket.io) spoken from Python.

The load test needs dozens of simultaneous users on the real app process. Fifty Chromium tabs would need
more than the two CI cores; fifty of these need almost nothing, yet the server cannot tell them from
browsers: each loads the page over HTTP (cookies and all), connects its own websocket, receives the same
element updates, and sends the same events a browser sends when a person clicks, types or uploads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import socketio

Element = dict[str, Any]

_ELEMENTS = re.compile(r'parseElements\(String\.raw`(.*?)`\)', re.DOTALL)
_CLIENT_ID = re.compile(r"['\"]client_id['\"]\s*:\s*['\"]([0-9a-f-]{36})['\"]")
_NEXT_MESSAGE_ID = re.compile(r"['\"]next_message_id['\"]\s*:\s*(\d+)")
# The look step's progress line once a gender is chosen and its groups are shown ('0 of 7 chosen').
LOOK_READY = re.compile(r'\d+ of \d+ chosen')
_UNESCAPE = (('&#36;', '$'), ('&#96;', '`'), ('&gt;', '>'), ('&lt;', '<'), ('&amp;', '&'))


class ProtocolTimeout(AssertionError):
    pass


RECONNECT_DELAYS = (1.0, 2.0, 4.0)  # then reload, as the page would once its server-side page is gone


class SocketUser:
    """One simulated browser tab. Methods mirror what a person does; all of them wait like a person would."""

    def __init__(self, base_url: str, name: str = 'user', *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip('/')
        self.name = name
        self.http = httpx.AsyncClient(base_url=self.base_url, follow_redirects=True, timeout=timeout)
        self.elements: dict[str, Element] = {}
        self.client_id = ''
        self.path = ''
        self.notifications: list[str] = []
        self.js_requests: list[str] = []
        self.sio: socketio.AsyncClient | None = None
        self._changed = asyncio.Event()
        self._navigation: str | None = None
        self.timings: dict[str, float] = {}
        self.updates_received = 0
        self.disconnects: list[float] = []
        self.disconnect_reasons: list[str] = []
        self.reconnects = 0
        self.reloads = 0
        self._tab_id = uuid.uuid4().hex  # like sessionStorage: one per tab, kept across reloads
        self._next_message_id = 0
        self._reload_requested = False
        self._refused = False
        self._document_id = ''
        # What the page reads, worked out once per change: two hundred people in one process each poll their
        # page twice a second, and walking every element per poll made the load generator a core's user.
        self._version = 0
        self._read: tuple[int, list[tuple[str, Element]], str, str] | None = None

    # ----- the page and its socket -----

    async def open(self, path: str = '/') -> None:
        started = time.monotonic()
        await self._disconnect()
        response = await self.http.get(path)
        response.raise_for_status()
        self.path = response.url.path + (f'?{response.url.query.decode()}' if response.url.query else '')
        html = response.text
        match = _ELEMENTS.search(html)
        client = _CLIENT_ID.search(html)
        if not match or not client:
            raise AssertionError(f'{self.name}: {path} is not a NiceGUI page: {html[:300]!r}')
        raw = match.group(1)
        for escaped, plain in _UNESCAPE:
            raw = raw.replace(escaped, plain)
        self.elements = {str(k): v for k, v in json.loads(raw).items()}
        self._version += 1
        self.client_id = client.group(1)
        next_id = _NEXT_MESSAGE_ID.search(html)
        self._next_message_id = int(next_id.group(1)) if next_id else 0
        self._reload_requested = False
        # One per page load, reused when reconnecting: a new one would make the server retire this page.
        self._document_id = uuid.uuid4().hex
        await self._connect(self._next_message_id)
        self.timings[f'open {path}'] = time.monotonic() - started

    async def _connect(self, next_message_id: int) -> None:
        sio = socketio.AsyncClient(reconnection=False)
        sio.on('update', self._on_update)
        sio.on('open', self._on_open)
        sio.on('notify', self._on_notify)
        sio.on('run_javascript', self._on_javascript)
        sio.on('disconnect', self._on_disconnect)
        self._refused = False
        sio.on('connect_error', self._on_refused)  # the server refused the handshake: its page is gone
        query = urlencode({'client_id': self.client_id, 'next_message_id': next_message_id,
                           'implicit_handshake': 'true', 'document_id': self._document_id,
                           'tab_id': self._tab_id, 'old_tab_id': ''})
        cookies = '; '.join(f'{cookie.name}={cookie.value}' for cookie in self.http.cookies.jar)
        await sio.connect(f'{self.base_url}?{query}', socketio_path='/_nicegui_ws/socket.io',
                          transports=['websocket'], headers={'Cookie': cookies} if cookies else {},
                          wait_timeout=15)
        self.sio = sio

    def _on_disconnect(self, *reason: Any) -> None:
        self.disconnects.append(time.monotonic())
        self.disconnect_reasons.append(str(reason[0]) if reason else 'unknown')  # socket.io says why since 5.12

    def _on_refused(self, *_: Any) -> None:
        self._refused = True

    async def _disconnect(self) -> None:
        if self.sio is not None:
            with contextlib.suppress(Exception):
                await self.sio.disconnect()
            self.sio = None

    async def close(self) -> None:
        await self._disconnect()
        await self.http.aclose()

    def _track(self, message: dict[str, Any]) -> None:
        if isinstance(message.get('_id'), int):
            self._next_message_id = message['_id'] + 1

    async def _on_update(self, message: dict[str, Any]) -> None:
        self.updates_received += 1
        self._track(message)
        for element_id, element in message.items():
            if element_id == '_id':
                continue
            if element is None:
                self.elements.pop(element_id, None)
            else:
                self.elements[element_id] = element
        self._version += 1
        self._changed.set()

    async def _on_open(self, message: dict[str, Any]) -> None:
        self._track(message)
        self._navigation = str(message.get('path', '/'))
        self._changed.set()

    async def _on_notify(self, message: dict[str, Any]) -> None:
        self._track(message)
        self.notifications.append(str(message.get('message', '')))
        self._version += 1
        self._changed.set()

    async def _on_javascript(self, message: dict[str, Any]) -> None:
        # No browser here: record what was asked and answer "nothing", so the server never waits for a reply.
        self._track(message)
        code = str(message.get('code', ''))
        self.js_requests.append(code)
        if 'location.reload' in code:
            self._reload_requested = True
        if 'request_id' in message and self.sio is not None:
            await self.sio.emit('javascript_response', {'request_id': message['request_id'],
                                                        'client_id': self.client_id, 'result': None})

    async def _recover(self) -> None:
        """What NiceGUI's page script does when the socket drops: reconnect with the same client id and the
        next message id it expects (the server replays what was missed), or reload the page when it cannot."""
        if self._reload_requested:
            self.reloads += 1
            await self.open(self.path)
            return
        if self.sio is not None and self.sio.connected:
            return
        await self._disconnect()
        self.reconnects += 1
        # socket.io's browser client tries again after 1, 2, 4... s (NiceGUI's page reloads only when the server
        # has let the page go); a busy server that was slow to answer once is given more tries, not a reload,
        # which would cost it a whole page build more.
        for delay in RECONNECT_DELAYS:
            try:
                await self._connect(self._next_message_id)
                return
            except socketio.exceptions.ConnectionError:
                if self._refused:
                    break  # the server no longer has this page
                await asyncio.sleep(delay)
        self.reloads += 1
        await self.open(self.path)

    async def follow_navigation(self) -> bool:
        """A page sent us elsewhere (ui.navigate.to): load that page, as a browser would."""
        if self._navigation is None:
            return False
        target, self._navigation = self._navigation, None
        await self.open(target)
        return True

    # ----- reading the page -----

    def visible_elements(self) -> list[tuple[str, Element]]:
        """Elements reachable from the root whose `visible` is not off (NiceGUI hides with a class), and of a
        stepper the current step's only, as a browser shows them."""
        return self._reading()[1]

    def _reading(self) -> tuple[int, list[tuple[str, Element]], str, str]:
        if self._read is not None and self._read[0] == self._version:
            return self._read
        shown: list[tuple[str, Element]] = []
        children_of = {eid: [str(c) for c in element.get('children', [])] +
                       [str(c) for slot in element.get('slots', {}).values() for c in slot.get('ids', [])]
                       for eid, element in self.elements.items()}
        stack, seen = ['0'] if '0' in self.elements else list(self.elements)[:1], set()
        while stack:
            eid = stack.pop()
            if eid in seen or eid not in self.elements:
                continue
            seen.add(eid)
            element = self.elements[eid]
            if 'hidden' in element.get('class', []):
                continue
            shown.append((eid, element))
            children = children_of.get(eid, [])
            if element.get('tag') == 'q-stepper':
                # Quasar shows the content of the stepper's current step only (the others are kept, not shown).
                active = element.get('props', {}).get('model-value')
                children = [c for c in children if self.elements.get(c, {}).get('tag') != 'q-step'
                            or self.elements[c].get('props', {}).get('name') == active]
            stack.extend(reversed(children))
        text = '\n'.join(word for _, el in shown for word in self.words(el)) + '\n' + '\n'.join(self.notifications)
        self._read = (self._version, shown, text, text.casefold())
        return self._read

    @staticmethod
    def words(element: Element) -> list[str]:
        props = element.get('props', {})
        found = [str(element.get('text') or '')]
        for key in ('label', 'placeholder', 'aria-label', 'title', 'error-message', 'hint', 'caption'):
            if props.get(key):
                found.append(str(props[key]))
        for key in ('model-value', 'value'):
            value = props.get(key)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                found.append(str(value))
        return [word for word in found if word]

    def page_text(self) -> str:
        return self._reading()[2]

    def sees(self, text: str | re.Pattern[str]) -> bool:
        _, _, body, folded = self._reading()
        return bool(text.search(body)) if isinstance(text, re.Pattern) else text.casefold() in folded

    def find(self, predicate: Callable[[Element], bool]) -> list[tuple[str, Element]]:
        return [(eid, el) for eid, el in self.visible_elements() if predicate(el)]

    def find_control(self, text: str, event: str = 'click') -> tuple[str, Element]:
        def matches(element: Element) -> bool:
            return any(l_['type'] == event for l_ in element.get('events', [])) and \
                any(text.casefold() == word.casefold() for word in self.words(element))
        found = self.find(matches) or self.find(lambda el: any(
            l_['type'] == event for l_ in el.get('events', [])) and any(
            text.casefold() in word.casefold() for word in self.words(el)))
        if not found:
            raise LookupError(f'{self.name}: nothing reads {text!r} with a {event!r} listener on {self.path}')
        if len(found) > 1:
            enabled = [item for item in found if not item[1].get('props', {}).get('disable')]
            found = enabled or found
        return found[0]

    def subtree_words(self, element_id: str) -> list[str]:
        words: list[str] = []
        stack = [element_id]
        while stack:
            eid = stack.pop()
            element = self.elements.get(eid)
            if element is None or 'hidden' in element.get('class', []):
                continue
            words.extend(self.words(element))
            stack.extend(str(c) for c in element.get('children', []))
            stack.extend(str(c) for slot in element.get('slots', {}).values() for c in slot.get('ids', []))
        return words

    def find_card(self, text: str) -> tuple[str, Element]:
        """The smallest clickable container (a tile, a card) that reads `text` somewhere inside."""
        found = []
        for eid, element in self.visible_elements():
            if any(l_['type'] == 'click' for l_ in element.get('events', [])):
                words = self.subtree_words(eid)
                if any(word.casefold() == text.casefold() for word in words):
                    found.append((len(words), eid, element))
        if not found:
            raise LookupError(f'{self.name}: no clickable card reads {text!r} on {self.path}')
        _, eid, element = min(found, key=lambda item: item[0])
        return eid, element

    # ----- acting -----

    async def click_card(self, text: str, within: float = 20.0) -> None:
        element_id, _ = await self.wait_for(lambda: self.find_card(text), within, f'a card {text!r}')
        await self.emit(element_id, 'click', {})

    async def wait_for(self, condition: Callable[[], Any], within: float = 20.0, what: str = 'condition') -> Any:
        deadline = time.monotonic() + within
        while True:
            await self.follow_navigation()
            await self._recover()
            with contextlib.suppress(LookupError):
                if result := condition():
                    return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                connected = self.sio is not None and self.sio.connected
                raise ProtocolTimeout(f'{self.name}: {what} not met within {within:g}s on {self.path} '
                                      f'(socket connected: {connected}, updates: {self.updates_received}, '
                                      f'disconnects: {len(self.disconnects)}, reconnects: {self.reconnects}, '
                                      f'reloads: {self.reloads}); page reads:\n'
                                      f'{self.page_text()[:1500]}')
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))

    async def should_see(self, text: str | re.Pattern[str], within: float = 20.0) -> None:
        await self.wait_for(lambda: self.sees(text), within, f'seeing {getattr(text, "pattern", text)!r}')

    async def should_see_any(self, texts: Iterable[str | re.Pattern[str]], within: float = 20.0
                             ) -> str | re.Pattern[str]:
        options = list(texts)
        return await self.wait_for(lambda: next((t for t in options if self.sees(t)), None), within,
                                   f'seeing one of {options!r}')

    async def emit(self, element_id: str, event: str, *args: Any) -> None:
        await self._recover()
        element = self.elements[element_id]
        listener = next(l_ for l_ in element.get('events', []) if l_['type'] == event)
        assert self.sio is not None, 'open a page first'
        await self.sio.emit('event', {'id': int(element_id), 'client_id': self.client_id,
                                      'listener_id': listener['listener_id'],
                                      'args': [json.dumps(arg) for arg in args]})

    async def click(self, text: str, within: float = 20.0) -> None:
        element_id, _ = await self.wait_for(lambda: self.find_control(text), within, f'a control {text!r}')
        await self.emit(element_id, 'click', {})

    async def type(self, label: str, value: str, within: float = 20.0) -> None:
        # ui.input reports 'update:value' (NiceGUI's own input component); Quasar-backed fields 'update:modelValue'.
        def field() -> tuple[str, str]:
            for event in ('update:value', 'update:modelValue'):
                with contextlib.suppress(LookupError):
                    return self.find_control(label, event)[0], event
            raise LookupError(label)
        element_id, event = await self.wait_for(field, within, f'a field {label!r}')
        await self.emit(element_id, event, value)

    async def choose(self, label: str, option: str, within: float = 20.0) -> None:
        """Pick an option of a ui.select by its visible label."""
        element_id, element = await self.wait_for(lambda: self.find_control(label, 'update:modelValue'), within,
                                                  f'a select {label!r}')
        options = element.get('props', {}).get('options', [])
        choice = next((o for o in options if str(o.get('label')) == option), None)
        if choice is None:
            raise LookupError(f'{self.name}: {label!r} has no option {option!r}')
        await self.emit(element_id, 'update:modelValue', choice)

    def upload_fields(self) -> list[Element]:
        """The page's ui.upload elements (each posts to its own /upload/ address)."""
        return [el for _, el in self.visible_elements()
                if isinstance(el.get('props', {}).get('url'), str) and '/upload/' in el['props']['url']]

    async def upload(self, content: bytes | Path, filename: str = '', content_type: str = 'image/png',
                     index: int = 0) -> httpx.Response:
        """POST the file to the page's ui.upload the way Quasar's uploader does."""
        uploads = await self.wait_for(self.upload_fields, 10, 'an upload field')
        data = await asyncio.to_thread(content.read_bytes) if isinstance(content, Path) else content
        name = filename or (Path(content).name if isinstance(content, Path) else 'upload.png')
        response = await self.http.post(uploads[index]['props']['url'], files={'file': (name, data, content_type)})
        if response.status_code == 404 and (self._reload_requested or not (self.sio and self.sio.connected)):
            # The page was reloaded while the file was on its way (its upload address went with it): a person
            # would pick the file again on the fresh page.
            await self._recover()
            return await self.upload(content, filename, content_type, index)
        return response
