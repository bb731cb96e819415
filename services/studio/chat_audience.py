"""Who is showing which conversation: the pages (and tests) listening to one person's chat with one agent,
whether each is watching (its browser connected), and the reply left with nobody watching.

A part of services.studio.chat.ChatService: the service tells the audience what happened (`emit`), and hears from
it when a conversation has had nobody watching for `grace` seconds (`on_orphaned`), so that a reply nobody can see
is stopped; a reload comes back within the grace and keeps it going.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from services.studio.chat_events import ChatEvent, Listener

log = logging.getLogger(__name__)

Topic = tuple[str, str]  # (owner id, agent id): what a page shows


class Subscription:
    """A page's (or a test's) ear on one person's conversation with one agent. A page stops watching while its
    browser is disconnected and watches again when it reconnects; `close()` when the page is gone."""

    def __init__(self, audience: Audience, topic: Topic, listener: Listener, watching: bool) -> None:
        self.audience = audience
        self.topic = topic
        self.listener = listener
        self.watching = watching
        self.closed = False

    def set_watching(self, watching: bool) -> None:
        if self.closed or watching == self.watching:
            return
        self.watching = watching
        if watching:
            self.audience._watched(self.topic)
        else:
            self.audience._unwatched(self.topic)

    def close(self) -> None:
        if self.closed:
            return
        was_watching = self.watching
        self.closed, self.watching = True, False
        self.audience._remove(self)
        if was_watching:
            self.audience._unwatched(self.topic)


class Audience:
    def __init__(self, *, grace: float, on_orphaned: Callable[[Topic], None]) -> None:
        self.grace = grace
        self._on_orphaned = on_orphaned
        self._listeners: dict[Topic, list[Subscription]] = {}
        self._orphan_checks: dict[Topic, asyncio.TimerHandle] = {}

    def subscribe(self, topic: Topic, listener: Listener, *, watching: bool) -> Subscription:
        subscription = Subscription(self, topic, listener, watching)
        self._listeners.setdefault(topic, []).append(subscription)
        if watching:
            self._watched(topic)
        return subscription

    def emit(self, topic: Topic, event: ChatEvent) -> None:
        for subscription in list(self._listeners.get(topic, ())):
            try:
                subscription.listener(event)
            except Exception:  # a page's mistake must never stop the reply that told it
                log.exception('chat listener failed')

    def topics_of(self, owner_id: str) -> list[Topic]:
        return [topic for topic in self._listeners if topic[0] == owner_id]

    def listener_count(self) -> int:
        return sum(len(listeners) for listeners in self._listeners.values())

    def close(self) -> None:
        for handle in self._orphan_checks.values():
            handle.cancel()

    def _watched(self, topic: Topic) -> None:
        handle = self._orphan_checks.pop(topic, None)
        if handle is not None:
            handle.cancel()

    def _unwatched(self, topic: Topic) -> None:
        if not self._watchers(topic):
            self._orphan_check(topic)

    def _remove(self, subscription: Subscription) -> None:
        listeners = self._listeners.get(subscription.topic, [])
        if subscription in listeners:
            listeners.remove(subscription)
        if not listeners:
            self._listeners.pop(subscription.topic, None)

    def _watchers(self, topic: Topic) -> int:
        return sum(1 for subscription in self._listeners.get(topic, []) if subscription.watching)

    def _orphan_check(self, topic: Topic) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop, so no reply can be running

        def check() -> None:
            self._orphan_checks.pop(topic, None)
            if not self._watchers(topic):
                self._on_orphaned(topic)

        previous = self._orphan_checks.pop(topic, None)
        if previous is not None:
            previous.cancel()
        self._orphan_checks[topic] = loop.call_later(self.grace, check)
