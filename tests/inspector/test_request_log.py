"""The request log against the signature-checking echo platform over real HTTP: every request recorded with its
fields (retries and a clock correction included), nothing secret or image-like stored, writes that never hold up a
call, a person's rows only ever read by that person, and retention."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

import services.platform.request_log as request_log_module
from services.core import metrics
from services.core.db import Database
from services.core.db.schema import request_log
from services.platform.client import PlatformClient
from services.platform.errors import BusinessError, ProtocolError
from services.platform.request_log import RequestLog, prune
from services.platform.request_queries import RequestQuery
from tests.inspector.support import DATABASES, KEY, PNG_BASE64_START, SECRET, creds, flushed, rows
from tests.platform.signing_echo_app import EchoPlatform, Reply
from tests.platform.test_platform_client import COVER, COVER_PATH, OPTIONS

PHOTO = (Path(__file__).resolve().parents[1] / 'fixtures' / 'astronaut.png').read_bytes()


def database_files(folder: Path) -> bytes:
    """The SQLite file and its WAL, as they are on disk."""
    return b''.join(path.read_bytes() for path in folder.glob('studio.sqlite3*'))


@pytest.mark.parametrize('db', DATABASES, indirect=True)
async def test_every_request_is_recorded_with_its_fields(client: PlatformClient, echo: EchoPlatform, log: RequestLog,
                                                         db: Database) -> None:
    await client.options(creds())
    echo.script(OPTIONS, Reply.raw(502, b'<html>502 Bad Gateway</html>', 'text/html'))
    await client.options(creds())  # retried once, then answered
    echo.script(COVER_PATH, Reply.business(10500, 'image backend failed', trace_id='f' * 32))
    with pytest.raises(BusinessError):
        await client.generate_cover(creds(), COVER)
    echo.clock_offset = 3600.0  # the platform's clock is an hour ahead: refused, corrected, signed again
    await client.options(creds())
    await flushed(log)

    first, bad_gateway, retry, business, skewed, resigned = rows(db)
    assert (first['endpoint'], first['outcome'], first['http_status'], first['code']) == (OPTIONS, 'ok', 200, 10200)
    assert first['owner_id'] == 'account-alice' and first['user_id'] == 'alice' and first['method'] == 'POST'
    assert len(first['request_id']) == 32 and len(first['trace_id']) == 32 and first['attempt'] == 1
    assert first['duration_ms'] > 0 and first['request_bytes'] > 0 and first['response_bytes'] > 0
    assert first['message'] == 'OK'
    assert (bad_gateway['outcome'], bad_gateway['http_status'], bad_gateway['attempt']) == ('protocol', 502, 1)
    assert 'is not JSON' in bad_gateway['message'] and bad_gateway['trace_id'] is None
    assert (retry['outcome'], retry['attempt'], retry['call_id']) == ('ok', 2, bad_gateway['call_id'])
    assert retry['request_id'] != bad_gateway['request_id']  # a retry is a new request, signed afresh
    assert (business['outcome'], business['code'], business['message'], business['trace_id']) == (
        'business', 10500, 'image backend failed', 'f' * 32)
    assert business['endpoint'] == COVER_PATH and business['request_bytes'] > 0
    assert (skewed['outcome'], skewed['http_status'], skewed['resigned'], skewed['clock_offset']) == ('auth', 401,
                                                                                                      False, 0)
    assert resigned['outcome'] == 'ok' and resigned['resigned'] and abs(resigned['clock_offset'] - 3600) < 5
    assert resigned['call_id'] == skewed['call_id']
    detail = first['detail']
    assert detail['url'] == echo.url + OPTIONS and detail['signed_string'].startswith(f'POST\n{OPTIONS}\n')
    assert detail['request_headers']['Authorization'] == 'Bearer rl-k…40'
    assert detail['request_headers']['X-Request-ID'] == first['request_id']


async def test_nothing_secret_or_image_is_stored(client: PlatformClient, echo: EchoPlatform, log: RequestLog,
                                                 db: Database, tmp_path: Path) -> None:
    photo = PHOTO
    await client.upload_ref_image(creds(), photo, 'astronaut.png', 'image/png')
    cover, _ = await client.generate_cover(creds(), COVER)  # answers with a PNG data URL
    assert cover.imageData.startswith(f'data:image/png;base64,{PNG_BASE64_START}')
    # A misbehaving proxy echoing the request, key included (a cover is never retried).
    echo.script(COVER_PATH, Reply.raw(500, f'proxy echo: Authorization: Bearer {KEY}'.encode(), 'text/plain'))
    with pytest.raises(ProtocolError):
        await client.generate_cover(creds(), COVER)
    await flushed(log)

    stored = rows(db)
    assert len(stored) >= 3
    text = repr(stored)
    for needle in (KEY, SECRET, PNG_BASE64_START):
        assert needle not in text, needle
    upload = next(r for r in stored if r['endpoint'].endswith('ref-image'))
    assert upload['detail']['request_body']['parts'][0]['filename'] == 'astronaut.png'
    assert upload['request_bytes'] > len(photo)  # counted, though never kept
    cover_row = next(r for r in stored if r['endpoint'] == COVER_PATH)
    assert 'characters elided' in cover_row['detail']['response_body']['text']
    assert cover_row['response_bytes'] > len(cover.imageData)
    # The database files themselves (WAL included): no key, no secret, no photo bytes.
    on_disk = database_files(tmp_path)
    assert KEY.encode() not in on_disk and SECRET.encode() not in on_disk and photo[16:80] not in on_disk


async def test_writing_never_holds_up_a_call(client: PlatformClient, log: RequestLog, db: Database,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    original = db.run_sync

    def slow_database(fn: Any, *args: Any) -> Any:
        release.wait(10)  # the database is stuck (a long lock, a slow disk)
        return original(fn, *args)

    monkeypatch.setattr(db, 'run_sync', slow_database)
    started = time.monotonic()
    for _ in range(5):
        await client.options(creds())
    assert time.monotonic() - started < 2.0
    assert rows(db) == []  # not written yet, and nobody waited for it
    release.set()
    await flushed(log)
    assert len(rows(db)) == 5


async def test_a_full_queue_drops_and_counts(echo: EchoPlatform, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(request_log_module, 'MAX_PENDING', 2)
    release = threading.Event()
    original = db.run_sync
    monkeypatch.setattr(db, 'run_sync', lambda fn, *args: release.wait(10) and original(fn, *args))
    log = RequestLog(db)
    client = PlatformClient(base_url=echo.url, timeout=2)
    log.attach(client)
    dropped = metrics.REQUEST_LOG_DROPPED._value.get()
    try:
        for _ in range(6):
            await client.options(creds())
        assert metrics.REQUEST_LOG_DROPPED._value.get() - dropped >= 3
    finally:
        release.set()
        await flushed(log)
        log.close()
        await client.aclose()
    assert 1 <= len(rows(db)) <= 3


@pytest.mark.parametrize('db', DATABASES, indirect=True)
async def test_a_person_reads_only_their_own_requests(client: PlatformClient, log: RequestLog) -> None:
    await client.options(creds('account-alice', 'alice'))
    await client.list_agents(creds('account-bob', 'bob'))
    await client.list_agents(creds('byok-1234-bob', 'bob'))  # same user id, another person (own key)
    await flushed(log)
    total, mine = await log.search(RequestQuery(owner='account-bob'))
    assert total == 1 and [e.owner_id for e in mine] == ['account-bob']
    total, everyone = await log.search(RequestQuery(owner=None))
    assert total == 3
    alice_entry = next(e for e in everyone if e.owner_id == 'account-alice')
    assert await log.get(alice_entry.id, 'account-bob') is None  # someone else's reads as "no such request"
    assert await log.by_trace(alice_entry.trace_id or '', 'account-bob') is None
    assert (await log.get(alice_entry.id, 'account-alice')) is not None
    assert await log.attempts(alice_entry.call_id, 'account-bob') == []
    # Filters narrow within what the person may see, never beyond it.
    total, _ = await log.search(RequestQuery(owner='account-bob', person='alice'))
    assert total == 0
    total, by_person = await log.search(RequestQuery(owner=None, person='bob'))
    assert total == 2 and {e.owner_id for e in by_person} == {'account-bob', 'byok-1234-bob'}
    total, _ = await log.search(RequestQuery(owner=None, text=(alice_entry.request_id or '')[:12]))
    assert total == 1
    assert await log.endpoints('account-alice') == [OPTIONS]


@pytest.mark.parametrize('db', DATABASES, indirect=True)
async def test_errors_are_grouped_by_endpoint_and_message(client: PlatformClient, echo: EchoPlatform,
                                                          log: RequestLog) -> None:
    for _ in range(3):
        echo.script(COVER_PATH, Reply.business(10500, 'image backend failed'))
        with pytest.raises(BusinessError):
            await client.generate_cover(creds(), COVER)
    echo.script(COVER_PATH, Reply.business(10400, 'breastSize is required for female'))
    with pytest.raises(BusinessError):
        await client.generate_cover(creds(), COVER)
    await client.options(creds())
    await flushed(log)
    groups = await log.error_groups('account-alice')
    assert [(g.endpoint, g.message, g.count) for g in groups] == [
        (COVER_PATH, 'image backend failed', 3), (COVER_PATH, 'breastSize is required for female', 1)]
    assert await log.error_groups('account-bob') == []
    total, failed = await log.search(RequestQuery(owner='account-alice', status='error'))
    assert total == 4 and all(e.failed for e in failed)
    total, _ = await log.search(RequestQuery(owner='account-alice', status='200', endpoint=OPTIONS))
    assert total == 1


@pytest.mark.parametrize('db', DATABASES, indirect=True)
def test_retention_prunes_by_age_and_by_rows(db: Database) -> None:
    now = time.time()
    old = [{'at': now - 10 * 86400 + i, 'owner_id': 'o', 'user_id': 'u', 'method': 'POST', 'endpoint': OPTIONS,
            'outcome': 'ok', 'duration_ms': 1.0, 'request_bytes': 1, 'response_bytes': 1, 'call_id': str(i),
            'attempt': 1, 'clock_offset': 0.0, 'resigned': False, 'detail': {}} for i in range(5)]
    recent = [{**row, 'at': now - 60 + i, 'call_id': f'r{i}'} for i, row in enumerate(old * 2)]
    db.run_sync(lambda c: c.execute(insert(request_log), old + recent))
    assert db.run_sync(prune, now - 7 * 86400, 1000) == 5  # older than 7 days
    assert db.run_sync(prune, now - 7 * 86400, 4) == 6  # then all but the newest 4
    kept = rows(db)
    assert [r['call_id'] for r in kept] == ['r6', 'r7', 'r8', 'r9']


async def test_the_log_can_be_turned_off(echo: EchoPlatform, db: Database) -> None:
    log = RequestLog(db, rows=0)
    client = PlatformClient(base_url=echo.url, timeout=2)
    log.attach(client)
    await client.options(creds())
    await client.aclose()
    log.close()
    assert not log.enabled and rows(db) == []


async def test_a_failed_request_logs_one_line_with_its_ids(client: PlatformClient, echo: EchoPlatform,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    echo.script(COVER_PATH, Reply.business(10500, 'image backend failed', trace_id='e' * 32))
    with caplog.at_level('INFO', logger='services.platform.requests'), pytest.raises(BusinessError):
        await client.generate_cover(creds(), COVER)
    (record,) = [r for r in caplog.records if r.name == 'services.platform.requests']
    assert record.levelname == 'INFO'  # a business error is the person's to fix, not the operator's
    fields = {name: getattr(record, name) for name in ('trace_id', 'request_id', 'person', 'endpoint')}
    assert fields == {'trace_id': 'e' * 32, 'request_id': fields['request_id'], 'person': 'account-alice',
                      'endpoint': COVER_PATH}
    assert len(fields['request_id']) == 32 and 'image backend failed' in record.getMessage()
