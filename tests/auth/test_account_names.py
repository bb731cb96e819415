"""Tool-account names in any alphabet, never look-alikes, and an ASCII X-User-ID (issue 12, items 6, 7).

Before, 张三 and josé were refused with "letters, digits ..." although they are letters, and a name could hold a
right-to-left override (U+202E) that reorders the text shown around it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nicegui.testing import User

from runtime import runtime
from services.auth.accounts import AccountError, AccountStore, validate_name
from services.auth.names import ALLOWED, display_user_id, platform_user_id, skeletons
from services.platform.client import Credentials, PlatformClient
from tests.support.auth_support import PASSWORD, accounts_env, data_dir_db, sign_in
from tests.support.sandbox_server import RunningSandbox


@pytest.mark.parametrize('name', ['josé', 'Müller', '张三', '山田たろう', 'Yamada山田', '김철수', 'Дмитрий', 'Δημήτρης',
                                  'محمد', 'דוד', 'राम', 'ສົມຊາຍ', 'alice', 'bob.smith_2-x', '007'])
def test_letters_of_any_alphabet_are_accepted(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(('typed', 'stored'), [
    ('jose\u0301', 'josé'),  # e + combining acute, as some keyboards and macOS file names send it
    ('ｊｏｓé', 'josé'),  # full-width Latin, as an East Asian input method types it
    ('  alice ', 'alice'),
    ('ﬁona', 'fiona'),  # the fi ligature
])
def test_names_are_stored_in_nfkc(typed: str, stored: str) -> None:
    assert validate_name(typed) == stored


@pytest.mark.parametrize(('name', 'says'), [
    ('pаypal', 'mixes Cyrillic and Latin letters'),  # a Cyrillic а among Latin letters
    ('Ωmega', 'mixes Greek and Latin letters'),
    ('Mia\u202e', 'U+202E'),
    ('\u2067admin\u2069', 'U+2067, U+2069'),
    ('john smith', 'U+0020 space cannot be part of a username'),
    ('bob@example', '"@" (U+0040 commercial at) cannot be part of a username'),
    ('zero\u200bwidth', 'U+200B zero width space'),
    ('-bob', 'starts with a letter or one of the digits 0-9, not "-"'),
    ('٣abc', 'not "٣"'),
    ('xn--jos-dma', 'reserved'),
    ('a' * 65, 'has 65 characters'),
    ('', 'Enter a username'),
])
def test_refusals_say_what_is_wrong_and_what_is_allowed(name: str, says: str) -> None:
    with pytest.raises(AccountError) as refused:
        validate_name(name)
    assert says in refused.value.user_message
    if 'U+202' not in says and 'U+206' not in says and 'reserved' not in says and 'mixes' not in says:
        assert ALLOWED in refused.value.user_message


def test_direction_controls_get_their_own_explanation() -> None:
    with pytest.raises(AccountError) as refused:
        validate_name('Mia\u202egnp.exe')
    message = refused.value.user_message
    assert 'text-direction control characters' in message and 'U+202A-U+202E and U+2066-U+2069' in message


@pytest.mark.parametrize(('existing', 'new'), [
    ('alice', 'Alice'),  # the same letters in another case
    ('alice', 'aIice'),  # capital I for small l
    ('MOE', 'M0E'),  # zero for O
    ('josé', 'JOSÉ'),
    ('ace', 'асе'),  # all Cyrillic, looking exactly like the Latin name
    ('Вера', 'Bepa'),  # ... and the other way round
])
def test_a_name_that_looks_like_an_existing_account_is_refused(tmp_path: Path, existing: str, new: str) -> None:
    store = AccountStore(data_dir_db(tmp_path))
    store.add(existing, PASSWORD)
    with pytest.raises(AccountError, match='looks too much like the existing account'):
        store.add(new, PASSWORD)
    assert [account.name for account in store.list()] == [existing]


def test_distinct_names_stay_distinct() -> None:
    for first, second in [('alice', 'alicia'), ('josé', 'jose'), ('张三', '李四'), ('ann', 'anne')]:
        assert not skeletons(first) & skeletons(second), (first, second)


def test_the_store_finds_an_account_however_its_name_is_typed(tmp_path: Path) -> None:
    store = AccountStore(data_dir_db(tmp_path))
    store.add('jose\u0301', PASSWORD)
    assert [account.name for account in store.list()] == ['josé']
    assert store.verify('ｊｏｓé', PASSWORD) is not None
    assert store.get('jose\u0301') is not None
    store.set_admin('jose\u0301', True)
    store.remove('ｊｏｓé')
    assert store.list() == []


@pytest.mark.parametrize('name', ['josé', '张三', 'Müller', '山田たろう', 'محمد'])
def test_the_platform_user_id_is_ascii_stable_and_reversible(name: str) -> None:
    user_id = platform_user_id(name)
    assert user_id.isascii() and user_id.startswith('xn--') and user_id == platform_user_id(name)
    assert display_user_id(user_id) == name


def test_ascii_names_keep_their_user_id() -> None:
    # Accounts made before Unicode names keep the X-User-ID (and so the agents) they had.
    for name in ('alice', 'Bob.Smith', 'ci-bot_2'):
        assert platform_user_id(name) == name


async def test_a_unicode_user_id_is_signed_and_accepted_by_the_platform(
        sandbox: RunningSandbox, sandbox_client: PlatformClient) -> None:
    credentials = Credentials(sandbox.credentials.api_key, sandbox.credentials.api_secret, platform_user_id('张三'))
    page = await sandbox_client.list_agents(credentials)
    assert page.total == 0


@pytest.fixture
def josé_account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Before the `user` fixture loads main.py: the app's data directory with an account named josé."""
    accounts_env(monkeypatch, tmp_path)
    AccountStore(data_dir_db(tmp_path)).add('josé', PASSWORD)


async def test_signing_in_as_josé(josé_account: None, user: User) -> None:
    await sign_in(user, 'jose\u0301')  # typed decomposed: still the same account
    for _ in range(100):
        if runtime.sessions.all():
            break
        await asyncio.sleep(0.05)
    (session,) = runtime.sessions.all()
    principal = session.principal
    assert principal.display_name == 'josé'
    assert principal.user_id == principal.credentials.user_id == 'xn--jos-dma'
    assert principal.owner_id.isascii()
    # The session stays valid: it is checked against the account by its name, not by its X-User-ID.
    assert runtime.auth.valid_session(session.sid) is session
