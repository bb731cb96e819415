"""The audit log in the shared database, on SQLite and on PostgreSQL: entries written behind the event loop's back
but seen by the next read, the admin page's filters alike on both engines, and the old audit.sqlite3 imported."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from services.core.audit import AuditLog, AuditQuery
from services.core.secret import register_sensitive
from tests.support.databases import StoreKit


def log_of(kit: StoreKit) -> AuditLog:
    return AuditLog(kit.db, kit.writer)


def test_recorded_entries_are_read_back_newest_first(any_kit: StoreKit) -> None:
    audit = log_of(any_kit)
    register_sensitive('sk-audit-secret-999')
    audit.record('auth.sign_in', actor='alice', detail='tool account')
    audit.record('cover.generated', actor='alice', detail='job 1 with sk-audit-secret-999', trace_id='t-1')
    audit.record('auth.sign_in', actor='Bob_1', detail='own API key 100%')
    # record() only queued them; a read waits for this process's queue first.
    entries = audit.entries()
    assert [(e.event, e.actor) for e in entries] == [('auth.sign_in', 'Bob_1'), ('cover.generated', 'alice'),
                                                     ('auth.sign_in', 'alice')]
    assert entries[1].trace_id == 't-1' and 'sk-audit-secret-999' not in entries[1].detail  # scrubbed
    assert [e.actor for e in audit.entries(event='auth.sign_in', actor='alice')] == ['alice']
    assert audit.events() == ['auth.sign_in', 'cover.generated']


def test_filters_mean_the_same_on_both_databases(any_kit: StoreKit) -> None:
    audit = log_of(any_kit)
    audit.record('auth.sign_in', actor='alice', detail='tool account')
    audit.record('auth.sign_in', actor='Bob_1', detail='own API key 100%')
    audit.record('cover.generated', actor='carol', detail='job', trace_id='TRACE-42')
    assert [e.actor for e in audit.search(AuditQuery(actor='ALI'))] == ['alice']  # case-insensitive
    assert [e.actor for e in audit.search(AuditQuery(actor='b_'))] == ['Bob_1']  # '_' is a character, not a wildcard
    assert [e.actor for e in audit.search(AuditQuery(text='100%'))] == ['Bob_1']
    assert [e.actor for e in audit.search(AuditQuery(text='trace-4'))] == ['carol']  # the traceId too
    assert audit.count(AuditQuery(event='auth.sign_in')) == 2 and audit.count() == 3
    first = audit.entries()[-1]
    assert audit.count(AuditQuery(since=first.at)) == 3 and audit.count(AuditQuery(until=first.at)) == 0
    assert [e.actor for e in audit.search(AuditQuery(), limit=1, offset=1)] == ['Bob_1']


def test_the_csv_export_defuses_formulas(any_kit: StoreKit) -> None:
    audit = log_of(any_kit)
    audit.record('agent.created', actor='=HYPERLINK("x")', detail='+1')
    text = audit.export_csv().decode('utf-8-sig')
    assert "'=HYPERLINK" in text and ",'+1," in text


def test_an_old_audit_file_is_imported_once(any_kit: StoreKit, tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / 'audit.sqlite3')
    old.execute('CREATE TABLE audit (id INTEGER PRIMARY KEY, at REAL NOT NULL, event TEXT NOT NULL, '
                'actor TEXT NOT NULL, detail TEXT NOT NULL, trace_id TEXT)')
    old.executemany('INSERT INTO audit (at, event, actor, detail, trace_id) VALUES (?, ?, ?, ?, ?)',
                    [(1.0, 'auth.sign_in', 'alice', '', None), (2.0, 'cover.generated', 'alice', 'job', 't-9')])
    old.commit()
    old.close()
    audit = log_of(any_kit)
    assert audit.import_legacy(tmp_path) == 2
    assert [(e.event, e.trace_id) for e in audit.entries()] == [('cover.generated', 't-9'), ('auth.sign_in', None)]
    assert not (tmp_path / 'audit.sqlite3').exists() and (tmp_path / 'audit.sqlite3.imported').exists()
    assert audit.import_legacy(tmp_path) == 0  # never twice
