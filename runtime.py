"""The composition root: every process-wide service, built once at start-up from the settings.

`main()` calls `runtime.configure(...)` once; pages, components and tests then read typed attributes
(`runtime.jobs`, `runtime.auth`, ...). This module sits above every package it wires (pages and components
import it; nothing in `services/` or `sandbox/` does), so imports run one way: pages and components →
runtime → studio and auth → platform → core.

Module-level state is shared by all users in NiceGUI, which is exactly what is wanted here (one connection
pool, one job table, one audit log); nothing per-user is kept on this object.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sandbox.embedded import MOUNT_PATH as SANDBOX_MOUNT
from sandbox.embedded import EmbeddedSandbox
from services.auth.access import AccessControl
from services.auth.accounts import AccountStore
from services.auth.preferences import Preferences
from services.auth.sessions import Session, SessionStore
from services.auth.signin import SignIn
from services.core import metrics
from services.core.audit import AuditLog
from services.core.db import Database
from services.core.loop import call_on_app_loop
from services.core.settings import Settings
from services.core.storage_secret import resolve_storage_secret
from services.platform.client import Credentials, PlatformClient
from services.platform.request_log import RequestLog
from services.studio.chat import ChatService
from services.studio.chat_agents import AgentDirectory
from services.studio.chat_pictures import ChatPictureJobs
from services.studio.chat_store import ChatStore
from services.studio.drafts import DraftStore
from services.studio.jobs import JobManager
from services.studio.library import AgentRecords, CreationRecorder, Library
from services.studio.limits import GenerationLimits
from services.studio.options_cache import OptionsCache
from services.studio.preview_urls import PreviewSigner

log = logging.getLogger(__name__)

__all__ = ['SANDBOX_MOUNT', 'Runtime', 'runtime']


class Runtime:
    """Typed holder of the process-wide services. Attributes exist once `configure` has run."""

    settings: Settings
    db: Database
    platform: PlatformClient
    requests: RequestLog  # every signed request, for the Requests page; also feeds the metrics
    # Credentials for tool accounts (never for "bring your own key"; each demo visitor gets a sandbox key of its own).
    operator_credentials: Credentials | None
    sandbox: EmbeddedSandbox | None
    audit: AuditLog
    limits: GenerationLimits
    drafts: DraftStore
    jobs: JobManager
    options: OptionsCache
    library: Library  # every agent of a key, searchable, with who made which
    recorder: CreationRecorder
    previews: PreviewSigner
    accounts: AccountStore
    sessions: SessionStore
    preferences: Preferences  # a person's own settings (the interface language)
    auth: SignIn
    access: AccessControl
    chat: ChatService  # conversations with agents, replies streamed to the pages showing them
    chat_pictures: ChatPictureJobs

    def __init__(self) -> None:
        self._configured = False

    @property
    def uses_sandbox(self) -> bool:
        return self.settings.uses_sandbox

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.data_dir)

    def upstream_label(self) -> str:
        return 'Sandbox' if self.uses_sandbox else self.settings.base_url

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
        base_url = sandbox.base_url if sandbox is not None else settings.base_url
        self.platform = PlatformClient.from_settings(settings, base_url=base_url)
        self.requests = RequestLog.from_settings(self.db, settings).attach(self.platform)
        if sandbox is not None:
            self.operator_credentials = sandbox.credentials
        elif settings.has_operator_credentials:
            self.operator_credentials = Credentials(settings.api_key, settings.api_secret, settings.user_id)
        else:
            self.operator_credentials = None
        self.audit = AuditLog(self.data_dir / 'audit.sqlite3')
        self.limits = GenerationLimits(settings.max_covers_per_user, settings.max_covers_total)
        self.drafts = DraftStore(self.data_dir / 'drafts')
        self.jobs = JobManager(self.data_dir, platform=self.platform, limits=self.limits, audit=self.audit,
                               drafts=self.drafts)
        metrics.count_running_jobs(self.jobs.running_counts)  # studio_jobs_running, counted at each scrape
        self.library = Library(self.platform, AgentRecords(self.db))
        self.recorder = CreationRecorder(self.jobs, self.library)
        self.options = OptionsCache(self.platform.options, settings.options_cache_seconds)
        self.previews = PreviewSigner(storage_secret or resolve_storage_secret(settings),
                                      settings.preview_url_seconds)
        self.accounts = AccountStore(self.data_dir)
        self.preferences = Preferences(self.db)
        operator_keys = {settings.api_key, *([self.operator_credentials.api_key] if self.operator_credentials else [])}
        self.sessions = SessionStore(keep_sensitive=frozenset(key for key in operator_keys if key))
        self.auth = SignIn(settings, accounts=self.accounts, sessions=self.sessions, audit=self.audit,
                           platform=self.platform, operator=self.operator_credentials,
                           demo_keys=sandbox.issue_key if sandbox is not None else None)
        self.access = AccessControl(self.auth, self.sessions)
        self.sessions.on_end(self._drop_own_key_work)
        chat_store = ChatStore(self.db)
        chat_store.interrupt_unfinished()  # replies and pictures a stopped process left "in progress"
        self.chat = ChatService(chat_store, self.platform, AgentDirectory(self.platform))
        self.chat_pictures = ChatPictureJobs(chat_store, self.platform, notify=self.chat.notify,
                                             max_per_person=settings.chat.max_pictures_per_user)
        self._configured = True

    def _drop_own_key_work(self, session: Session, reason: str) -> None:
        """A person's own key is forgotten on sign-out, so their covers still generating with it are cancelled
        (they can be regenerated). An agent creation in flight is left to finish, so no agent is orphaned."""
        principal = session.principal
        if principal.mode != 'byok' or self.sessions.sessions_for(principal.owner_id):
            return
        call_on_app_loop(self.jobs.cancel_running, principal.owner_id, 'cover')

    async def shutdown(self) -> None:
        if self._configured:
            await self.chat.close()  # replies and pictures in progress are saved as interrupted
            await self.chat_pictures.close()
            await self.platform.aclose()

    def close(self) -> None:
        """Close what a configuration opened (the job and audit databases); the client closes in shutdown()."""
        if not self._configured:
            return
        self.jobs.close()
        self.audit.close()
        self.requests.close()  # writes what is queued while the database is still open
        self.db.close()
        self._configured = False


runtime = Runtime()
