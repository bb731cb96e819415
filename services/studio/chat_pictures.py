"""Chat pictures as server-side jobs: asked for in a conversation, drawn by the platform in 30-90 s.

Modelled on services/studio/jobs.py (cover jobs): a job is an asyncio task of this process, not of a browser tab,
so a reload or a closed tab changes nothing about it; its state is a message of the conversation (role
'picture', status 'running' until it is 'done' or 'failed'), so every page of that person shows it, and a restart
shows it as interrupted (with one click to ask again), never as drawing forever. The picture is checked like a
cover (services/studio/images.py) and kept, with a display-sized copy, in the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from services.auth.sessions import Principal
from services.core.i18n import _, ngettext, task_context
from services.platform.chat_models import ChatImageRequest
from services.platform.client import PlatformClient
from services.platform.errors import PlatformError
from services.studio.chat import MAX_TEXT
from services.studio.chat_events import ChatRefused, chat_words
from services.studio.chat_store import INTERRUPTED_PICTURE, ChatStore, Conversation, Message
from services.studio.images import ImageRejected, decode_data_url_to_png
from services.studio.media_store import make_preview

log = logging.getLogger(__name__)

EXPECTED_SECONDS = (30, 90)


@dataclass
class PictureJob:
    owner_id: str
    agent_id: str
    message: Message
    task: asyncio.Task[None] | None = None
    cancel_requested: bool = False
    cancel_words: str = 'Cancelled.'


class ChatPictureJobs:
    def __init__(self, store: ChatStore, platform: PlatformClient, *, notify: Callable[[str, str], None],
                 max_per_person: int = 2) -> None:
        self.store = store
        self.max_per_person = max_per_person
        self._platform = platform
        self._notify = notify  # (owner id, agent id): tell that person's pages showing the agent
        self._jobs: dict[str, PictureJob] = {}  # strong references: a task must not be collected
        self._saving: set[asyncio.Task[None]] = set()

    async def start(self, principal: Principal, conversation: Conversation, text: str, *,
                    language: str = 'en') -> Message:
        """Ask for a picture of `text` in this conversation; the message is 'running' until it is drawn."""
        text = text.strip()
        if conversation.owner_id != principal.owner_id:
            raise ChatRefused(_('This conversation is not yours.'))
        if not text:
            raise ChatRefused(_('Say what the picture should show first.'))
        if len(text) > MAX_TEXT:
            raise ChatRefused(_('A picture request can be at most {limit} characters.').format(limit=MAX_TEXT))
        running = self.running(principal.owner_id)
        if running >= self.max_per_person:
            raise ChatRefused(ngettext('You already have {count} picture being drawn (the limit is {limit}). Try '
                                       'again when one is ready; each takes {low}-{high} seconds.',
                                       'You already have {count} pictures being drawn (the limit is {limit}). Try '
                                       'again when one is ready; each takes {low}-{high} seconds.', running)
                              .format(count=running, limit=self.max_per_person, low=EXPECTED_SECONDS[0],
                                      high=EXPECTED_SECONDS[1]))
        message = await self.store.add(conversation, 'picture', 'running', text,
                                       {'language': language, 'startedAt': time.time()})
        job = PictureJob(principal.owner_id, conversation.agent_id, message)
        self._jobs[message.id] = job
        job.task = asyncio.get_running_loop().create_task(self._draw(principal, conversation, job, language),
                                                          name=f'chat-picture-{message.id}', context=task_context())
        job.task.add_done_callback(lambda _: self._ended(job))
        self._notify(principal.owner_id, conversation.agent_id)
        return message

    def _ended(self, job: PictureJob) -> None:
        self._jobs.pop(job.message.id, None)
        if job.message.status == 'running':  # cancelled before it ever ran: its own except/finally never did
            job.message.status = 'stopped' if job.cancel_requested else 'interrupted'
            job.message.data['error'] = job.cancel_words if job.cancel_requested else INTERRUPTED_PICTURE
            saving = asyncio.get_running_loop().create_task(self._save(job, None, None))
            self._saving.add(saving)

            def saved(task: asyncio.Task[None]) -> None:
                self._saving.discard(task)
                self._notify(job.owner_id, job.agent_id)

            saving.add_done_callback(saved)

    def running(self, owner_id: str) -> int:
        return sum(1 for job in self._jobs.values() if job.owner_id == owner_id)

    def is_running(self, owner_id: str, message_id: str) -> bool:
        job = self._jobs.get(message_id)
        return job is not None and job.owner_id == owner_id

    def running_here(self) -> int:
        return len(self._jobs)

    def cancel(self, owner_id: str, message_id: str, *, words: str = 'Cancelled.') -> bool:
        job = self._jobs.get(message_id)
        if job is None or job.owner_id != owner_id or job.task is None:
            return False
        job.cancel_requested, job.cancel_words = True, words
        job.task.cancel()
        return True

    def cancel_all(self, owner_id: str, words: str) -> int:
        """Cancel every picture this instance draws for this person (their own key was forgotten at sign-out);
        each says why, with one click to ask again. Returns how many."""
        return sum(self.cancel(owner_id, message_id, words=words) for message_id, job in list(self._jobs.items())
                   if job.owner_id == owner_id)

    async def wait(self, message_id: str) -> None:
        """Until the job of `message_id` is over (for tests and benchmarks; pages subscribe instead)."""
        job = self._jobs.get(message_id)
        if job is not None and job.task is not None:
            await asyncio.gather(job.task, return_exceptions=True)

    async def _draw(self, principal: Principal, conversation: Conversation, job: PictureJob, language: str) -> None:
        message = job.message
        png: bytes | None = None
        preview: bytes | None = None
        try:
            request = ChatImageRequest(agentId=conversation.agent_id, conversationId=conversation.conversation_id,
                                       text=message.text, language=language)
            picture, trace_id = await self._platform.chat_image(principal.credentials, request)
            message.data['traceId'] = trace_id
            # Megabytes of base64: decoded, checked and scaled on worker threads, never on the loop.
            png = await asyncio.to_thread(decode_data_url_to_png, picture.base64Image)
            try:
                preview = await asyncio.to_thread(make_preview, png)
            except Exception:  # only the small copy is lost: the original is served instead
                log.warning('could not make a chat picture preview', exc_info=True)
            message.status = 'done'
            message.data['seconds'] = round(time.time() - message.created_at, 1)
        except asyncio.CancelledError:
            message.status = 'stopped' if job.cancel_requested else 'interrupted'
            message.data['error'] = job.cancel_words if job.cancel_requested else INTERRUPTED_PICTURE
            raise
        except PlatformError as error:
            message.status = 'failed'
            message.data.update(error=chat_words(error, 'draw the picture'), traceId=error.trace_id, code=error.code)
        except ImageRejected as error:
            message.status = 'failed'
            message.data['error'] = _('{reason} Ask for the picture again.').format(reason=error.user_message)
        except Exception as error:
            log.exception('chat picture %s failed unexpectedly', message.id)
            message.status = 'failed'
            message.data['error'] = _('Something went wrong in the studio while drawing ({error}).') \
                .format(error=type(error).__name__)
        finally:
            await self._save(job, png, preview)
            self._notify(job.owner_id, job.agent_id)

    async def _save(self, job: PictureJob, png: bytes | None, preview: bytes | None) -> None:
        try:
            if job.message.status == 'done' and png is not None:
                await asyncio.shield(self.store.save_picture(job.owner_id, job.message, png, preview))
            else:
                await asyncio.shield(self.store.save(job.owner_id, job.message))
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception('could not save chat picture %s', job.message.id)

    async def close(self) -> None:
        tasks = [job.task for job in self._jobs.values() if job.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)
