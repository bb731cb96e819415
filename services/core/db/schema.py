"""Every table the app keeps, as SQLAlchemy Core `Table`s: the one description of the database.

The migrations under `migrations/versions/` are frozen copies of this module at each revision (a migration must
keep doing what it did when it was written, whatever this file becomes); tests/core/test_db.py compares a migrated
database with this metadata, so the two cannot drift apart.

Conventions, chosen so one schema serves SQLite and PostgreSQL alike:
- times are seconds since the epoch in a double (`time.time()`, what the stores keep today), not SQL timestamps,
  whose time-zone handling differs between the two;
- structured values are JSON (JSONB on PostgreSQL) so a model can gain a field without a migration; columns are
  only what a query filters or sorts on;
- owner ids are the `Principal.owner_id` strings (`account-alice`, `byok-<digest>-<user>`, `demo-...`); there is no
  owners table to point at (demo and own-key people have no account), hence no foreign keys to one.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import postgresql

# Named constraints and indexes, so a later migration can drop or alter one by a name it knows on both databases.
NAMING_CONVENTION = {
    'ix': 'ix_%(table_name)s_%(column_0_N_name)s',
    'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

OWNER = 160  # owner_id_for() builds at most 'byok-' + 12 + '-' + 64 characters; room to spare
Json = JSON().with_variant(postgresql.JSONB(), 'postgresql')
# SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit BIGSERIAL.
Serial = BigInteger().with_variant(Integer(), 'sqlite')

accounts = Table(
    'accounts', metadata,
    # Tool accounts (once data/accounts.json). Passwords only as scrypt digests with their own salt and cost.
    Column('name', String(64), primary_key=True),
    Column('salt', String(64), nullable=False),  # hex; its first 16 characters are the session stamp
    Column('digest', String(128), nullable=False),  # hex
    Column('scrypt_n', Integer, nullable=False),
    Column('scrypt_r', Integer, nullable=False),
    Column('scrypt_p', Integer, nullable=False),
    Column('is_admin', Boolean, nullable=False, default=False),
    Column('created_at', Double, nullable=False),
)

sessions = Table(
    'sessions', metadata,
    # Who a browser is signed in as, readable by every instance. The key is a SHA-256 of the session id, never
    # the id itself: someone who can read this table still cannot present a session.
    Column('sid_hash', String(64), primary_key=True),
    Column('owner_id', String(OWNER), nullable=False, index=True),
    Column('user_id', String(200), nullable=False),  # sent as X-User-ID
    Column('display_name', String(200), nullable=False),
    Column('mode', String(16), nullable=False),  # 'account', 'byok' or 'demo'
    Column('is_admin', Boolean, nullable=False, default=False),
    Column('account_stamp', String(64), nullable=False, default=''),
    Column('created_at', Double, nullable=False),
    Column('last_seen', Double, nullable=False, index=True),  # the idle-expiry sweep
    # A person's own key and secret (or a demo visitor's sandbox key of their own), only ever stored sealed
    # (encrypted with a key derived from the storage secret) by the sessions store; NULL for tool accounts, which
    # sign with the operator's key.
    Column('sealed_credentials', LargeBinary, nullable=True),
    # An ended session keeps its row (without credentials) for a while, so a browser that comes back with its id
    # is told why it has to sign in again ('expired', 'signed out', 'ended by an administrator', ...).
    Column('ended_at', Double, nullable=True, index=True),
    Column('end_reason', String(64), nullable=True),
)

drafts = Table(
    'drafts', metadata,
    # The character a person is building (services/studio/drafts.py:Draft as JSON). `version` goes up on every
    # save, so a write can be made conditional on the version it read (UPDATE ... WHERE version = :seen).
    Column('owner_id', String(OWNER), primary_key=True),
    Column('version', Integer, nullable=False, default=0),
    Column('data', Json, nullable=False),
    Column('updated_at', Double, nullable=False, index=True),  # untouched drafts are purged after 30 days
)

jobs = Table(
    'jobs', metadata,
    # Cover generations and agent creations. `instance` runs the job and renews `heartbeat_at`; a running job
    # whose heartbeat stopped belongs to an instance that died, and any instance may mark it interrupted.
    Column('id', String(64), primary_key=True),
    Column('owner_id', String(OWNER), nullable=False),
    Column('kind', String(16), nullable=False),  # 'cover' or 'create'
    Column('status', String(16), nullable=False),  # 'running', 'done', 'failed', 'cancelled', 'interrupted'
    Column('instance', String(100), nullable=True),
    Column('heartbeat_at', Double, nullable=True),
    Column('created_at', Double, nullable=False),
    Column('data', Json, nullable=False),  # services/studio/jobs.py:Job as JSON (the request, never a credential)
    Index(None, 'owner_id', 'created_at'),  # a person's jobs, newest first
    Index(None, 'status', 'heartbeat_at'),  # running jobs whose instance stopped answering
)

audit = Table(
    'audit', metadata,
    # The same columns as services/core/audit.py's SQLite table, so its entries can be copied over as they are.
    Column('id', Serial, primary_key=True, autoincrement=True),
    Column('at', Double, nullable=False, index=True),
    Column('event', String(64), nullable=False, index=True),
    Column('actor', String(200), nullable=False),
    Column('detail', Text, nullable=False),
    Column('trace_id', String(200), nullable=True),
)

generation_leases = Table(
    'generation_leases', metadata,
    # One row per cover generation running anywhere, so the per-person and total limits hold across instances.
    # Taken with advisory_lock(conn, 'generation-limits') held (count, then insert). A lease expires unless its
    # instance renews it, so one that died does not keep people's slots forever.
    Column('id', String(64), primary_key=True),
    Column('owner_id', String(OWNER), nullable=False, index=True),
    Column('kind', String(16), nullable=False, default='cover'),
    Column('instance', String(100), nullable=False),
    Column('started_at', Double, nullable=False),
    Column('expires_at', Double, nullable=False, index=True),
)

cover_line = Table(
    'cover_line', metadata,
    # The waiting line for cover generations when every place (generation_leases) is taken: first come, first
    # served across instances. `seq` is the order; rows are taken and admitted only with
    # advisory_lock(conn, 'generation-limits') held, so the head of the line becomes a lease in the same transaction
    # that frees a place. `instance` holds the person's request (and credentials, in memory) and renews
    # `expires_at`; the waiter of an instance that died expires and the line moves up past it.
    Column('seq', Serial, primary_key=True, autoincrement=True),
    Column('job_id', String(64), nullable=False, unique=True),
    Column('owner_id', String(OWNER), nullable=False, index=True),
    Column('instance', String(100), nullable=False),
    Column('enqueued_at', Double, nullable=False),
    Column('expires_at', Double, nullable=False, index=True),
)

cover_uses = Table(
    'cover_uses', metadata,
    # One row per cover generation a person started, for the budgets per hour and per day (services/studio/
    # budgets.py) and the admin page's use per person. Written under the limits' lock with the lease or the place in
    # line; deleted again when the generation ends without a cover (failed, cancelled, interrupted): only covers
    # count. Kept 8 days (the admin page shows the last 7).
    Column('job_id', String(64), primary_key=True),
    Column('owner_id', String(OWNER), nullable=False),
    Column('user_id', String(200), nullable=False),
    Column('mode', String(16), nullable=False),  # 'account', 'byok' or 'demo'
    Column('at', Double, nullable=False, index=True),
    # Seconds the platform took to paint it, once it is done: the waiting line's estimates come from these.
    Column('seconds', Double, nullable=True),
    Index(None, 'owner_id', 'at'),
)

cover_budgets = Table(
    'cover_budgets', metadata,
    # An administrator's budget for one person (the admin page), instead of the deployment's default
    # (STUDIO_COVERS_PER_HOUR / _PER_DAY). NULL in a column: that column's default applies; 0: no limit.
    Column('owner_id', String(OWNER), primary_key=True),
    Column('per_hour', Integer, nullable=True),
    Column('per_day', Integer, nullable=True),
    Column('updated_at', Double, nullable=False),
    Column('updated_by', String(200), nullable=False),
)

images = Table(
    'images', metadata,
    # Covers, their previews and reference photos (once files under data/covers), in the database so any instance
    # can serve any person's image without a shared disk. `suffix` is '.png', '.jpg' or '.preview.jpg'.
    Column('owner_id', String(OWNER), primary_key=True),
    Column('item_id', String(80), primary_key=True),
    Column('suffix', String(16), primary_key=True),
    Column('content', LargeBinary, nullable=False),
    Column('created_at', Double, nullable=False, index=True),  # covers are useless long after their 30 minutes
)

changes = Table(
    'changes', metadata,
    # The cross-instance outbox: "something of `key` under `topic` changed" (a job finished, a session ended).
    # Each instance reads the rows after the last id it saw and tells its own pages; see services/core/db/changes.py
    # for why ids become visible in order.
    Column('id', Serial, primary_key=True, autoincrement=True),
    Column('topic', String(32), nullable=False),  # 'jobs', 'drafts', 'sessions', ...
    Column('key', String(200), nullable=False),  # usually an owner id
    Column('at', Double, nullable=False, index=True),  # old rows are purged
    # The process that made the change: it has told its own pages already, so it skips its own rows.
    Column('origin', String(120), nullable=True),
)

request_log = Table(
    'request_log', metadata,
    # Every signed request to the platform, one row per HTTP attempt (a retry is a row of its own, with its own
    # X-Request-ID and signature), for the Requests page: services/platform/request_log.py. Never an image or a
    # secret: bodies are kept with data URLs elided, the Authorization value masked; the secret is never in them.
    Column('id', Serial, primary_key=True, autoincrement=True),
    Column('at', Double, nullable=False, index=True),  # when it was signed; retention prunes by it
    Column('owner_id', String(OWNER), nullable=False),  # the person it was made for ('' while signing in)
    Column('user_id', String(200), nullable=False),  # X-User-ID
    Column('method', String(8), nullable=False),
    Column('endpoint', String(200), nullable=False),  # the signed /v1/... path
    Column('outcome', String(16), nullable=False),  # 'ok', 'business', 'auth', 'protocol', 'timeout', ... (Outcome)
    Column('http_status', Integer, nullable=True),  # NULL: no answer came
    Column('code', Integer, nullable=True),  # the envelope's code
    Column('message', Text, nullable=True),  # the envelope's message, else what the studio said went wrong
    Column('duration_ms', Double, nullable=False),
    Column('request_bytes', Integer, nullable=False),
    Column('response_bytes', Integer, nullable=False),
    Column('request_id', String(64), nullable=True, index=True),
    Column('trace_id', String(200), nullable=True, index=True),
    Column('call_id', String(32), nullable=False),  # the attempts of one call share it
    Column('attempt', Integer, nullable=False),  # 1 for the first try, 2.. for retries
    Column('clock_offset', Double, nullable=False),  # seconds added to our clock for the signature (skew correction)
    Column('resigned', Boolean, nullable=False),  # signed with a clock the call corrected after a 401 showed skew
    Column('detail', Json, nullable=False),  # URL, signed string, masked headers, elided bodies (RequestDetail)
    Index(None, 'owner_id', 'id'),  # a person's requests, newest first
)


conversations = Table(
    'conversations', metadata,
    # A person's conversation with an agent (services/studio/chat_store.py). `conversation_id` is the platform's,
    # reused for every message, as the platform asks; `active` is False once "New conversation" replaced it.
    Column('id', String(64), primary_key=True),
    Column('owner_id', String(OWNER), nullable=False),
    Column('agent_id', String(100), nullable=False),
    Column('conversation_id', String(100), nullable=False),
    Column('active', Boolean, nullable=False, default=True),
    Column('agent', Json, nullable=False),  # the agent as last seen (name, cover, opening line): drawn at once
    Column('created_at', Double, nullable=False),
    Column('updated_at', Double, nullable=False),
    Index(None, 'owner_id', 'agent_id', 'active'),  # the conversation a page opens
)

chat_messages = Table(
    'chat_messages', metadata,
    # What was said: the person's messages, the agent's replies (with their state: streaming, done, stopped,
    # failed, interrupted) and chat pictures (running until drawn). Always read with the owner, never without.
    Column('id', String(64), primary_key=True),
    Column('conversation', String(64), nullable=False),  # conversations.id
    Column('owner_id', String(OWNER), nullable=False),
    Column('seq', Integer, nullable=False),  # order within the conversation
    Column('role', String(16), nullable=False),  # 'user', 'agent' or 'picture'
    Column('status', String(16), nullable=False, index=True),
    Column('text', Text, nullable=False),
    Column('data', Json, nullable=False),  # error words, trace id, what a picture was asked to show
    Column('created_at', Double, nullable=False),
    # The instance streaming or drawing an unfinished one renews `updated_at` (its heartbeat); one whose
    # `updated_at` stopped moving belongs to an instance that died and any instance marks it interrupted.
    Column('updated_at', Double, nullable=False),
    Column('instance', String(120), nullable=True),  # who works on it while it is unfinished (STUDIO_INSTANCE_ID)
    Index(None, 'conversation', 'seq', unique=True),
    Index(None, 'status', 'updated_at'),  # unfinished messages whose instance stopped answering
)

chat_pictures = Table(
    'chat_pictures', metadata,
    # A drawn chat picture (the platform's PNG, checked) and its display-sized JPEG, served only to its owner.
    Column('message_id', String(64), primary_key=True),  # chat_messages.id
    Column('owner_id', String(OWNER), nullable=False, index=True),
    Column('content', LargeBinary, nullable=False),
    Column('preview', LargeBinary, nullable=True),
    Column('created_at', Double, nullable=False),
)


agent_records = Table(
    'agent_records', metadata,
    # Agent Studio's own record of who made which agent (the platform's list does not say): the library's
    # 'Made by me' and 'who made it' filters, and 'derived from' for a variant. Agents made elsewhere have no row.
    Column('agent_id', String(200), primary_key=True),
    Column('owner_id', String(OWNER), nullable=False, index=True),
    Column('user_id', String(200), nullable=False),
    Column('display_name', String(200), nullable=False),
    Column('derived_from', String(200), nullable=True),  # the agentId this one was made as a variant of
    Column('created_at', Double, nullable=False),
)

preferences = Table(
    'preferences', metadata,
    # A person's own settings, kept with their owner id (services/auth/preferences.py): for a tool account this is
    # the account, on every device; for an own key the key and user id; for a demo visitor that one visit. Today
    # only the interface language ('en', 'zh', 'ja'); a new setting is a new column.
    Column('owner_id', String(OWNER), primary_key=True),
    Column('language', String(8), nullable=True),
    Column('updated_at', Double, nullable=False),
)

TABLES = (accounts, sessions, drafts, jobs, audit, generation_leases, cover_line, cover_uses, cover_budgets, images,
          changes, conversations, chat_messages, chat_pictures, agent_records, request_log, preferences)
