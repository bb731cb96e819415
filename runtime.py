"""The composition root: every process-wide service, built once at start-up from the settings.

`main()` calls `runtime.configure(...)` once; pages, components and tests then read typed attributes
(`runtime.jobs`, `runtime.auth`, ...). This module sits above every package it wires (pages and components
import it; nothing in `services/` or `sandbox/` does), so imports run one way: pages and components →
runtime → studio and auth → platform → core.

Module-level state is shared by all users in NiceGUI, which is exactly what is wanted here (one connection
pool, one job table, one audit log); nothing per-user is kept on this object.

Several instances may share one database. Each process has an `origin` (its STUDIO_INSTANCE_ID plus a random part,
so it never mistakes another process's changes for its own), one WriteBehind for the writes the event loop does not
wait for, and one ChangeNotifier that turns other instances' changes (sessions ended, accounts changed, ...) into
the same in-process calls a local change makes. `start()` (on app start-up) starts what runs in the background.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from sandbox.control_client import SandboxKeys
from sandbox.embedded import MOUNT_PATH as SANDBOX_MOUNT
from sandbox.embedded import EmbeddedSandbox
from services.auth import accounts as accounts_module
from services.auth import sessions as sessions_module
from services.auth.access import AccessControl
from services.auth.accounts import AccountStore
from services.auth.demo_data import DemoData
from services.auth.preferences import Preferences
from services.auth.sessions import Principal, Session, SessionStore
from services.auth.signin import DemoKeyIssuer, SignIn
from services.core import metrics
from services.core.audit import AuditLog
from services.core.db import Database, DatabaseUnavailable
from services.core.db.changes import Change
from services.core.db.notifier import ChangeNotifier
from services.core.db.writer import WriteBehind
from services.core.drain import Drain
from services.core.loop import call_on_app_loop
from services.core.sealing import Sealer
from services.core.settings import Settings
from services.core.storage_secret import resolve_storage_secret
from services.platform.client import Credentials, PlatformClient
from services.platform.request_log import RequestLog
from services.studio import chat_store as chat_store_module
from services.studio import drafts as drafts_module
from services.studio import job_store
from services.studio import limits as limits_module
from services.studio.budgets import Budgets
from services.studio.chat import ChatService
from services.studio.chat_agents import AgentDirectory
from services.studio.chat_pictures import ChatPictureJobs
from services.studio.chat_store import ChatStore
from services.studio.drafts import DraftStore
from services.studio.image_store import ImageStore
from services.studio.jobs import JobManager
from services.studio.legacy import import_jobs_and_covers
from services.studio.library import AgentRecords, CreationRecorder, Library
from services.studio.limits import GenerationLimits
from services.studio.options_cache import OptionsCache
from services.studio.preview_urls import PreviewSigner

log = logging.getLogger(__name__)

__all__ = ['SANDBOX_MOUNT', 'Runtime', 'runtime']

# Fallbacks behind the change notifier: reload the accounts now and then in case a change was missed, and let any
# instance expire idle sessions and drop what is kept no longer (the first round runs soon after start-up).
ACCOUNTS_REFRESH_SECONDS = 30.0
PURGE_SECONDS = 600.0
DRAIN_GRACE_SECONDS = 3.0  # after the last job of a drain: time for open pages to fetch what it made
KEEP_IMAGES = 2 * 24 * 3600.0  # covers are valid 30 minutes and their jobs kept a day; reference photos alike


class Runtime:
    """Typed holder of the process-wide services. Attributes exist once `configure` has run."""

    settings: Settings
    db: Database
    origin: str  # names this process in the changes it publishes
    writer: WriteBehind
    notifier: ChangeNotifier
    drain: Drain
    platform: PlatformClient
    requests: RequestLog  # every signed request, for the Requests page; also feeds the metrics
    # Credentials for tool accounts (never for "bring your own key"; each demo visitor gets a sandbox key of its own).
    operator_credentials: Credentials | None
    sandbox: EmbeddedSandbox | None
    sandbox_keys: SandboxKeys | None  # a standalone demo sandbox's key issuing (STUDIO_DEMO_SANDBOX_URL)
    audit: AuditLog
    limits: GenerationLimits
    budgets: Budgets  # covers per person per hour and per day (the admin page sets them per person)
    drafts: DraftStore
    images: ImageStore
    jobs: JobManager
    options: OptionsCache
    library: Library  # every agent of a key, searchable, with who made which
    recorder: CreationRecorder
    previews: PreviewSigner
    accounts: AccountStore
    sessions: SessionStore
    preferences: Preferences  # a person's own settings (the interface language)
    auth: SignIn
    demo_data: DemoData  # deletes a demo visitor's work when their visit ends
    access: AccessControl
    chat: ChatService  # conversations with agents, replies streamed to the pages showing them
    chat_pictures: ChatPictureJobs

    def __init__(self) -> None:
        self._configured = False
        self._background: list[asyncio.Task[None]] = []
        self._forgetting: set[asyncio.Task[dict[str, int]]] = set()

    @property
    def uses_sandbox(self) -> bool:
        return self.settings.uses_sandbox

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.data_dir)

    def upstream_label(self) -> str:
        return 'Sandbox' if self.uses_sandbox else self.settings.base_url

    def sandbox_label(self) -> str:
        """How pages name the sandbox they run on (only meaningful when `uses_sandbox`)."""
        return 'the embedded sandbox' if self.settings.embeds_sandbox else 'the sandbox'

    def configure(self, settings: Settings, *, storage_secret: str | None = None,
                  sandbox: EmbeddedSandbox | None = None) -> None:
        """Build every service for these settings; `sandbox` is the embedded sandbox the app runs on, if any.

        Called once per process by main() (and once per test app by NiceGUI's test fixtures, which run main.py
        again), so whatever an earlier configuration opened is closed first."""
        self.close()
        self.settings = settings
        self.sandbox = sandbox
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Migrations run before anything reads the database; several instances starting at once migrate once.
        self.db = Database(settings.database_url)
        self.db.upgrade()
        self.origin = f'{settings.instance_id}/{secrets.token_hex(4)}'
        self.writer = WriteBehind(self.db)
        self.notifier = ChangeNotifier(self.db, origin=self.origin)
        self.drain = Drain(settings.drain_seconds)
        storage_secret = storage_secret or resolve_storage_secret(settings)
        base_url = sandbox.base_url if sandbox is not None else (settings.demo_sandbox_url or settings.base_url)
        self.platform = PlatformClient.from_settings(settings, base_url=base_url)
        self.requests = RequestLog.from_settings(self.db, settings).attach(self.platform)
        if sandbox is not None:
            self.operator_credentials = sandbox.credentials
        elif settings.demo_sandbox_url:
            # A standalone sandbox shared by every instance: its key pair signs the demo and tool accounts.
            self.operator_credentials = Credentials(settings.demo_sandbox_key, settings.demo_sandbox_secret,
                                                    settings.user_id)
        elif settings.has_operator_credentials:
            self.operator_credentials = Credentials(settings.api_key, settings.api_secret, settings.user_id)
        else:
            self.operator_credentials = None
        self.audit = AuditLog(self.db, self.writer)
        self.audit.import_legacy(self.data_dir)
        self.limits = GenerationLimits(self.db, self.writer, settings.max_covers_per_user, settings.max_covers_total,
                                       instance=settings.instance_id, budgets=settings.budgets, origin=self.origin)
        self.budgets = Budgets(self.db, settings.budgets)
        self.drafts = DraftStore(self.db, self.writer, origin=self.origin)
        self.drafts.import_legacy(self.data_dir)
        self.images = ImageStore(self.db, self.writer)
        import_jobs_and_covers(self.db, self.data_dir)
        self.jobs = JobManager(self.db, self.writer, images=self.images, platform=self.platform, limits=self.limits,
                               audit=self.audit, instance=settings.instance_id, origin=self.origin, drafts=self.drafts)
        metrics.count_running_jobs(self.jobs.running_counts)  # studio_jobs_running, counted at each scrape
        self.library = Library(self.platform, AgentRecords(self.db))
        self.recorder = CreationRecorder(self.jobs, self.library, self.drafts)
        self.options = OptionsCache(self.platform.options, settings.options_cache_seconds)
        self.previews = PreviewSigner(storage_secret, settings.preview_url_seconds)
        self.accounts = AccountStore(self.db, snapshot=True, origin=self.origin)
        self.accounts.import_legacy(self.data_dir)
        self.preferences = Preferences(self.db)
        operator_keys = {settings.api_key, *([self.operator_credentials.api_key] if self.operator_credentials else [])}
        self.sessions = SessionStore(self.db, self.writer, sealer=Sealer(storage_secret, 'sessions'),
                                     operator=self.operator_credentials, origin=self.origin,
                                     demo_idle_timeout=settings.demo_idle_seconds,
                                     keep_sensitive=frozenset(key for key in operator_keys if key))
        self.auth = SignIn(settings, accounts=self.accounts, sessions=self.sessions, audit=self.audit,
                           platform=self.platform, operator=self.operator_credentials,
                           demo_keys=self._demo_keys(settings, sandbox))
        self.demo_data = DemoData(self.db, keys=sandbox or self.sandbox_keys, lifetime=settings.demo_idle_seconds)
        self.access = AccessControl(self.auth, self.sessions, self.drain)  # a draining instance takes no new pages
        self.sessions.on_end(self._drop_own_key_work)
        self.sessions.on_end(self._forget_demo_visit)
        chat_store = ChatStore(self.db, instance=settings.instance_id, origin=self.origin)
        chat_store.interrupt_unfinished()  # replies and pictures this instance left "in progress" when it stopped
        self.chat = ChatService(chat_store, self.platform, AgentDirectory(self.platform))
        self.chat_pictures = ChatPictureJobs(chat_store, self.platform, notify=self.chat.notify,
                                             max_per_person=settings.chat.max_pictures_per_user)
        for topic, listener in ((sessions_module.TOPIC, self.sessions.on_change),
                                (accounts_module.TOPIC, self._accounts_changed),
                                (drafts_module.TOPIC, self.drafts.on_change),
                                (job_store.TOPIC, self.jobs.on_jobs_changed),
                                (job_store.CANCEL_TOPIC, self.jobs.on_cancel_requested),
                                (limits_module.LINE_TOPIC, self.jobs.line.on_line_changed),
                                (chat_store_module.TOPIC, self.chat.on_changed),
                                (chat_store_module.STOP_TOPIC, self.chat.on_stop_requested)):
            self.notifier.subscribe(topic, listener)
        self._configured = True

    async def start(self, stop: Callable[[], None] | None = None) -> None:
        """What runs in the background of a started app (NiceGUI's on_startup): the change notifier, the job
        heartbeat, the fallbacks behind them, and, given the server's `stop`, the SIGTERM drain."""
        await self.notifier.start()
        every = [(ACCOUNTS_REFRESH_SECONDS, self._refresh_accounts), (job_store.HEARTBEAT_SECONDS, self.jobs.heartbeat),
                 (chat_store_module.HEARTBEAT_SECONDS, self._chat_heartbeat), (PURGE_SECONDS, self._purge)]
        self._background = [asyncio.create_task(self._every(seconds, work), name=work.__name__)
                            for seconds, work in every]
        if stop is not None and threading.current_thread() is threading.main_thread() \
                and not os.environ.get('NICEGUI_USER_SIMULATION'):  # never inside a test runner's process
            self.drain.install(wait_idle=self._drain_jobs, stop=stop)

    async def _chat_heartbeat(self) -> None:
        await self.chat.heartbeat(pictures_here=self.chat_pictures.running_here())

    async def _drain_jobs(self, seconds: float) -> bool:
        self.jobs.start_draining()
        waited_for = self.jobs.running_here()
        idle = await self.jobs.wait_idle(seconds)
        await self.writer.drain(10.0)
        if idle and waited_for:
            # The open pages were just told their cover is ready; exiting now would leave them unable to fetch
            # it (the media route is on this instance) or to hear the news at all. A moment for that; an instance
            # that had nothing running has nothing to show and stops at once.
            await asyncio.sleep(DRAIN_GRACE_SECONDS)
        return idle

    async def _purge(self) -> None:
        """Any instance may: expired sessions, untouched drafts, images long past their covers' validity."""
        await self.sessions.purge()
        await self.drafts.purge()
        await self.images.purge_older_than(KEEP_IMAGES)
        await self.budgets.purge()
        await self.demo_data.sweep()

    async def _every(self, seconds: float, work: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await work()
            except DatabaseUnavailable:
                pass  # logged where it happened; the next round tries again
            except Exception:
                log.exception('background work %s failed', getattr(work, '__qualname__', work))

    async def _accounts_changed(self, change: Change) -> None:
        """An account was added, removed or got a new password (the CLI, another instance): reload the accounts
        and end the sessions that change ended, now rather than at the next sweep."""
        await self._refresh_accounts()

    async def _refresh_accounts(self) -> None:
        await self.accounts.refresh()
        self.access.sweep()

    def _demo_keys(self, settings: Settings, sandbox: EmbeddedSandbox | None) -> DemoKeyIssuer | None:
        """Who gives each demo visitor a sandbox key of their own: the embedded sandbox in-process, or the standalone
        one every instance shares, over its loopback-only /_sandbox/keys."""
        self.sandbox_keys = SandboxKeys(settings.demo_sandbox_url) if sandbox is None and settings.demo_sandbox_url \
            else None
        if sandbox is not None:
            return sandbox.issue_key
        return self.sandbox_keys.issue_key if self.sandbox_keys is not None else None

    def _drop_own_key_work(self, session: Session, reason: str) -> None:
        """A person's own key is forgotten on sign-out, so their covers, chat pictures and chat replies still
        using it are cancelled (each can be asked for again). An agent creation in flight is left to finish, so
        no agent is orphaned. Every instance holding the session hears of its end and cancels its own work."""
        principal = session.principal
        if principal.mode != 'byok' or self.sessions.sessions_for(principal.owner_id):
            return
        call_on_app_loop(self.jobs.cancel_running, principal.owner_id, 'cover')
        call_on_app_loop(self.chat_pictures.cancel_all, principal.owner_id,
                         'Cancelled when you signed out (your own key is forgotten then). Ask again after signing in.')
        call_on_app_loop(self.chat.stop_all, principal.owner_id, 'signed out')

    def _forget_demo_visit(self, session: Session, reason: str) -> None:
        """A demo visit that ended (signed out, ended by an administrator, ...) is deleted at once: nobody can enter
        that demo identity again. An expiry judged by this instance's clock alone waits for the sweep, which asks
        the table (another instance may have seen the visitor since)."""
        principal = session.principal
        if principal.mode != 'demo' or reason == 'expired':
            return
        call_on_app_loop(self.jobs.cancel_running, principal.owner_id, 'cover')
        call_on_app_loop(self.chat_pictures.cancel_all, principal.owner_id, 'Cancelled: the demo visit ended.')
        call_on_app_loop(self.chat.stop_all, principal.owner_id, 'signed out')
        call_on_app_loop(self._forget_demo_now, principal)

    def _forget_demo_now(self, principal: Principal) -> None:
        task = asyncio.create_task(self.demo_data.forget(principal), name='forget demo visit')
        task.add_done_callback(_log_failure)
        self._forgetting.add(task)
        task.add_done_callback(self._forgetting.discard)

    async def shutdown(self) -> None:
        if not self._configured:
            return
        for task in self._background:
            task.cancel()
        self._background = []
        await self.chat.close()  # replies and pictures in progress are saved as interrupted
        await self.chat_pictures.close()
        await self.jobs.aclose()  # what still runs is interrupted; a cover that arrived is stored first
        await self.notifier.stop()
        await self.platform.aclose()
        if self.sandbox_keys is not None:
            await self.sandbox_keys.aclose()
        await self.writer.drain(10.0)  # what the loop handed off (sessions ended, audit entries) reaches the table

    def close(self) -> None:
        """Close what a configuration opened (jobs, the queued writes, the database); the client closes in
        shutdown()."""
        if not self._configured:
            return
        self.jobs.close()
        self.requests.close()  # writes what is queued while the database is still open
        self.writer.close()
        self.db.close()
        self._configured = False


def _log_failure(task: asyncio.Task[dict[str, int]]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        # The sweep deletes it later; DatabaseUnavailable is logged where it happened.
        if not isinstance(error, DatabaseUnavailable):
            log.error('deleting a demo visit failed', exc_info=error)


runtime = Runtime()
