"""The request signature, byte for byte as docs/platform-api.md documents it.

References are computed independently of services.platform.signing wherever possible: the worked example is the
documentation's literal string, HMACs come straight from hmac/hashlib, and JavaScript behaviour comes from
`node` itself (tests/signing_reference.js), one process per test run fed over stdin/stdout.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.core.secret import Secret
from services.platform.signing import (
    JS_WHITESPACE,
    PlatformAuth,
    build_auth_headers,
    canonical_body,
    canonical_query,
    js_number,
    js_stringify,
    js_trim,
    sign,
    signature_base,
    verify_signature,
)

# The worked example of the documentation, verbatim.
EXAMPLE_BODY = {'agentId': 'agent-uuid', 'conversationId': 'conv-uuid', 'text': '你好'}
EXAMPLE_SIGNED = 'POST\n/v1/chat/stream\n1742000000\nuser-123\n\nagentId=agent-uuid&conversationId=conv-uuid&text=你好'

# ECMA-262 WhiteSpace + LineTerminator, typed out here rather than imported, so a slip in either list shows.
JS_TRIMMED = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F,
              0x205F, 0x3000, 0xFEFF}
# What Python's str.strip() removes but JavaScript's trim() keeps (and U+180E, white space before Unicode 6.3).
NOT_TRIMMED = '\x1c\x1d\x1e\x1f\x85\u180e\u200b'

SECRET = 'test-secret-Ω-0123456789'


def code_points(text: str) -> list[int]:
    return [ord(c) for c in text]


def reference_hmac(secret: str, message: str) -> str:
    return hmac.new(secret.encode('utf-8'), message.encode('utf-8'), hashlib.sha256).hexdigest()


# --- the worked example ---------------------------------------------------------------------------------


def test_worked_example_signed_string() -> None:
    assert signature_base('POST', '/v1/chat/stream', 1742000000, 'user-123', body=EXAMPLE_BODY) == EXAMPLE_SIGNED


def test_worked_example_signature_is_hmac_sha256_hex_of_utf8() -> None:
    headers = build_auth_headers('key-abc', SECRET, 'user-123', 'POST', '/v1/chat/stream', body=EXAMPLE_BODY,
                                 timestamp=1742000000, request_id='r' * 32)
    expected = reference_hmac(SECRET, EXAMPLE_SIGNED)
    assert headers == {
        'Authorization': 'Bearer key-abc',
        'X-Timestamp': '1742000000',
        'X-Signature': expected,
        'X-Request-ID': 'r' * 32,
        'X-User-ID': 'user-123',
    }
    assert expected == expected.lower() and len(expected) == 64


def test_build_auth_headers_accepts_a_secret_object_and_makes_fresh_request_ids() -> None:
    first = build_auth_headers('k', Secret(SECRET), 'u', 'post', '/v1/x', body=EXAMPLE_BODY, timestamp=5)
    second = build_auth_headers('k', SECRET, 'u', 'POST', '/v1/x', body=EXAMPLE_BODY, timestamp=5)
    assert first['X-Signature'] == second['X-Signature']  # the method is upper-cased before signing
    assert first['X-Request-ID'] != second['X-Request-ID']
    assert len(first['X-Request-ID']) == 32 and first['X-Request-ID'].isalnum()


def test_default_timestamp_is_unix_seconds() -> None:
    import time

    before = int(time.time())
    headers = build_auth_headers('k', SECRET, 'u', 'POST', '/v1/x')
    assert before <= int(headers['X-Timestamp']) <= before + 5


def test_verify_signature_round_trip_and_tamper() -> None:
    headers = build_auth_headers('k', SECRET, 'u', 'POST', '/v1/x', body=EXAMPLE_BODY, timestamp=7)
    kwargs: dict[str, Any] = {'method': 'POST', 'path': '/v1/x', 'timestamp': '7', 'user_id': 'u', 'query': None}
    assert verify_signature(SECRET, headers['X-Signature'], body=EXAMPLE_BODY, **kwargs)
    assert verify_signature(SECRET, headers['X-Signature'].upper(), body=EXAMPLE_BODY, **kwargs)
    assert not verify_signature(SECRET, headers['X-Signature'], body={**EXAMPLE_BODY, 'text': '你好!'}, **kwargs)
    assert not verify_signature('other', headers['X-Signature'], body=EXAMPLE_BODY, **kwargs)


def test_empty_query_and_body_leave_empty_lines() -> None:
    assert signature_base('POST', '/v1/a', 1, 'u') == 'POST\n/v1/a\n1\nu\n\n'
    assert signature_base('POST', '/v1/a', 1, 'u', query={}, body={}) == 'POST\n/v1/a\n1\nu\n\n'


# --- canonicalisation rules, property by property --------------------------------------------------------

plain_text = st.text(st.characters(blacklist_categories=('Cs',), blacklist_characters='&='), min_size=1)
field_names = st.one_of(
    plain_text,
    st.text(st.sampled_from('aAbBzZ_'), min_size=1, max_size=3),  # names that differ only in case
    st.text(st.sampled_from('\uff61\ufffd\U0001f600\U00010000\u00e9'), min_size=1, max_size=3),  # astral vs BMP
)
signable_text = plain_text.map(js_trim).filter(bool)


@given(st.dictionaries(field_names, signable_text, min_size=1))
@example({'\uff61': 'bmp', '\U0001f600': 'astral'})
@example({'b': '1', 'B': '2', 'a': '3', 'A': '4', 'ab': '5', 'aB': '6'})
def test_fields_are_sorted_by_code_point(body: dict[str, str]) -> None:
    names = sorted(body, key=code_points)
    assert canonical_body(body) == '&'.join(f'{name}={body[name]}' for name in names)
    assert canonical_query(body) == '&'.join(f'{name}={body[name]}' for name in names)


def test_code_point_order_differs_from_utf16_order_for_astral_keys() -> None:
    body = {'\U0001f600': 'astral', '\uff61': 'bmp'}
    # UTF-16 would put the astral key first (its high surrogate 0xD83D is below 0xFF61); code points do not.
    assert sorted(body, key=lambda k: k.encode('utf-16-be')) == ['\U0001f600', '\uff61']
    assert canonical_body(body) == '\uff61=bmp&\U0001f600=astral'


js_space = st.sampled_from(sorted(chr(c) for c in JS_TRIMMED))


@given(st.text(js_space), signable_text, st.text(js_space))
def test_string_values_are_trimmed_of_javascript_white_space(left: str, core: str, right: str) -> None:
    assert canonical_body({'v': left + core + right}) == f'v={core}'


@given(st.text(st.sampled_from(NOT_TRIMMED), min_size=1), signable_text)
def test_characters_outside_javascript_white_space_are_kept(edge: str, core: str) -> None:
    assert canonical_body({'v': edge + core + edge}) == f'v={edge}{core}{edge}'


def test_javascript_white_space_set() -> None:
    assert {ord(c) for c in JS_WHITESPACE} == JS_TRIMMED
    assert js_trim('\ufeff x \u3000') == 'x'
    assert js_trim('\x85x\x85') == '\x85x\x85'


@given(st.dictionaries(field_names, signable_text), st.dictionaries(field_names, st.one_of(
    st.none(), st.just(''), st.text(js_space))))
def test_null_empty_and_white_space_only_strings_are_left_out(kept: dict[str, str], dropped: dict[str, Any]) -> None:
    body = {**dropped, **kept}
    visible = {k: v for k, v in body.items() if k in kept}
    assert canonical_body(body) == canonical_body(visible)


@given(st.dictionaries(field_names, st.one_of(st.none(), st.just(''), st.text(js_space), signable_text)))
def test_query_leaves_out_only_null_and_empty(query: dict[str, Any]) -> None:
    # The contract trims and drops blank strings in the body only; query values are signed as they came.
    names = sorted((k for k, v in query.items() if v not in (None, '')), key=code_points)
    assert canonical_query(query) == '&'.join(f'{k}={query[k]}' for k in names)


def test_repeated_query_names_keep_their_order() -> None:
    assert canonical_query([('b', '2'), ('a', 'z'), ('b', '1'), ('a', 'y')]) == 'a=z&a=y&b=2&b=1'


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1),
                      st.text(st.characters(blacklist_categories=('Cs',))))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(st.characters(blacklist_categories=('Cs',)), max_size=5), inner, max_size=4), max_leaves=12)
structures = st.one_of(st.lists(json_value, max_size=4),
                       st.dictionaries(st.text(st.characters(blacklist_categories=('Cs',))), json_value, max_size=4))


def has_array_index_key(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k.isdigit() for k in value) or any(has_array_index_key(v) for v in value.values())
    if isinstance(value, list):
        return any(has_array_index_key(v) for v in value)
    return False


@given(structures)
def test_objects_and_arrays_are_compact_json_with_raw_non_ascii(value: Any) -> None:
    text = js_stringify(value)
    assert canonical_body({'v': value}) == f'v={text}'
    assert json.loads(text) == value
    if not has_array_index_key(value):  # JavaScript reorders those; see test_array_index_keys_come_first
        assert text == json.dumps(value, ensure_ascii=False, separators=(',', ':'))
    # The only \u escapes JSON.stringify writes are for control characters; everything else is raw.
    assert re.fullmatch(r'(?:[^\\]|\\[^u]|\\u00[01][0-9a-f])*', text)


def test_empty_object_and_array_are_signed() -> None:
    assert canonical_body({'a': {}, 'b': [], 'c': None, 'd': ' '}) == 'a={}&b=[]'
    assert canonical_body({'nested': {'x': None, 'y': '', 'z': ' s '}}) == 'nested={"x":null,"y":"","z":" s "}'


def test_array_index_keys_come_first_as_in_javascript() -> None:
    value = {'b': 1, '2': 2, '1': 3, '4294967294': 4, '4294967295': 5, '01': 6, '-1': 7}
    assert js_stringify(value) == '{"1":3,"2":2,"4294967294":4,"b":1,"4294967295":5,"01":6,"-1":7}'


@given(st.integers(-(2**53) + 1, 2**53 - 1), st.booleans())
def test_integers_and_booleans_are_json_text(number: int, flag: bool) -> None:
    assert canonical_body({'n': number, 'f': flag}) == f'f={"true" if flag else "false"}&n={number}'


@pytest.mark.parametrize(('value', 'text'), [
    (1.0, '1'), (-0.0, '0'), (0.5, '0.5'), (1e21, '1e+21'), (1e20, '100000000000000000000'), (1e-7, '1e-7'),
    (1e-6, '0.000001'), (123e-20, '1.23e-18'), (1.5e300, '1.5e+300'), (0.1 + 0.2, '0.30000000000000004'),
    (2**53 + 1, '9007199254740992'), (4.940001137008035e16, '49400011370080350'), (10**400, 'null'),
    (float('inf'), 'null'),
    (123456789012345678901234, '1.2345678901234569e+23'),
])
def test_numbers_as_javascript_writes_them(value: float, text: str) -> None:
    assert js_number(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_round_trip(value: float) -> None:
    assert float(js_number(value)) == value
    assert ' ' not in js_number(value)


url_special = st.text(st.sampled_from('&=%+ ?#/a1é'), min_size=1).map(lambda s: f'x{s}x')


@given(url_special, url_special)
def test_values_are_not_url_encoded(query_value: str, body_value: str) -> None:
    base = signature_base('POST', '/v1/a', 1, 'u', query={'q': query_value}, body={'b': body_value})
    assert base.endswith(f'\nq={query_value}\nb={body_value}')


# --- JavaScript itself as the reference -------------------------------------------------------------------

REFERENCE_JS = Path(__file__).with_name('signing_reference.js')


class Node:
    """One `node` process for the whole test run; each case is a JSON line out and a JSON line back."""

    def __init__(self, executable: str) -> None:
        self.process = subprocess.Popen([executable, str(REFERENCE_JS)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request).encode() + b'\n')
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, 'node exited'
        return json.loads(line.decode('utf-8'))

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope='module')
def node() -> Iterator[Node]:
    executable = shutil.which('node')
    if executable is None:
        if os.environ.get('STUDIO_REQUIRE_NODE') == '1':
            pytest.fail('node (Node.js) is required here (STUDIO_REQUIRE_NODE=1) for the JavaScript cross-check')
        pytest.skip('node (Node.js) is not installed; the JavaScript cross-check needs it')
    reference = Node(executable)
    assert reference.ask({'op': 'body', 'text': '{}'}) == {'canonical': '', 'stringified': '{}', 'values': {}}
    yield reference
    reference.close()


def test_node_trims_exactly_our_white_space_set(node: Node) -> None:
    assert set(node.ask({'op': 'whitespace'})['codes']) == {ord(c) for c in JS_WHITESPACE}


tricky_text = st.text(st.one_of(st.characters(blacklist_categories=('Cs',)), js_space,
                                st.sampled_from(NOT_TRIMMED + '\x00\x08\x7f\u2028"\\')))
tricky_key = st.one_of(tricky_text, st.integers(0, 2**32 + 2).map(str),
                       st.sampled_from(['01', '-1', '1.5', '4294967294', '4294967295', 'Z', 'z', '\U0001f600',
                                        '__proto__']))
any_number = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))
js_json = st.recursive(
    st.one_of(st.none(), st.booleans(), any_number, tricky_text),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_key, inner, max_size=4), max_leaves=16)


# No deadline: a busy CI machine may delay the pipe round trip, which says nothing about correctness.
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(tricky_key, js_json, max_size=8))
@example(body={'x': 4.940001137008035e16, 'y': 2**64, '__proto__': None, 'b': {'b': 1, '10': 2, '9': 3}})
def test_canonical_body_matches_javascript(node: Node, body: dict[str, Any]) -> None:
    sent = json.dumps(body, ensure_ascii=False, separators=(',', ':'))  # what httpx puts on the wire
    received = json.loads(sent)
    answer = node.ask({'op': 'body', 'text': sent})
    assert canonical_body(received) == answer['canonical']
    assert js_stringify(received) == answer['stringified']
    assert {k: js_stringify(v) for k, v in received.items()} == answer['values']


# --- PlatformAuth signs what httpx actually sends ---------------------------------------------------------


def signing_client(captured: list[httpx.Request], base_url: str = 'http://platform.test') -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json={'code': 10200, 'success': True})

    return httpx.Client(base_url=base_url, transport=httpx.MockTransport(handler))


def expected_signature(request: httpx.Request, path: str, query: str, body: str) -> str:
    base = '\n'.join([request.method, path, request.headers['X-Timestamp'], 'user-1', query, body])
    return reference_hmac(SECRET, base)


def auth(prefix: str = '', seen: list[str] | None = None) -> PlatformAuth:
    return PlatformAuth('key-1', Secret(SECRET), 'user-1', path_prefix=prefix, clock=lambda: 1742000000.9,
                        on_signed=(lambda _request, base: seen.append(base)) if seen is not None else None)


def test_auth_signs_the_json_body_as_sent() -> None:
    captured: list[httpx.Request] = []
    seen: list[str] = []
    body = {'text': '  你好 ', 'n': 1.0, 'tags': ['a', 'é'], 'none': None, 'blank': ' ', 'obj': {}}
    with signing_client(captured) as client:
        client.post('/v1/chat/stream', json=body, auth=auth(seen=seen))
    request = captured[0]
    sent = json.loads(request.content)
    assert sent == body
    assert request.headers['X-Timestamp'] == '1742000000'  # whole seconds, truncated
    canonical = 'n=1&obj={}&tags=["a","é"]&text=你好'
    assert request.headers['X-Signature'] == expected_signature(request, '/v1/chat/stream', '', canonical)
    assert request.headers['Authorization'] == 'Bearer key-1'
    assert request.headers['X-User-ID'] == 'user-1'
    assert len(request.headers['X-Request-ID']) == 32
    assert seen == ['\n'.join(['POST', '/v1/chat/stream', '1742000000', 'user-1', '', canonical])]


def test_auth_signs_query_parameters_decoded() -> None:
    captured: list[httpx.Request] = []
    with signing_client(captured) as client:
        client.post('/v1/a', params={'z': 'a b&c=d%', 'a': '1', 'empty': ''}, json={'k': 'v'}, auth=auth())
    request = captured[0]
    assert b'%' in request.url.query  # encoded on the wire, signed decoded
    assert request.headers['X-Signature'] == expected_signature(request, '/v1/a', 'a=1&z=a b&c=d%', 'k=v')


def test_auth_signs_multipart_with_an_empty_body() -> None:
    captured: list[httpx.Request] = []
    with signing_client(captured) as client:
        client.post('/v1/agent/ref-image', files={'file': ('a.png', b'\x89PNG data', 'image/png')},
                    data={'note': 'not signed'}, auth=auth())
    request = captured[0]
    assert request.headers['content-type'].startswith('multipart/form-data; boundary=')
    assert request.headers['X-Signature'] == expected_signature(request, '/v1/agent/ref-image', '', '')


def test_auth_signs_the_v1_path_under_a_base_url_prefix() -> None:
    captured: list[httpx.Request] = []
    with signing_client(captured, base_url='http://platform.test/gateway/api') as client:
        client.post('/v1/agent/list', json={'pageNumber': 1}, auth=auth('/gateway/api/'))
    request = captured[0]
    assert request.url.path == '/gateway/api/v1/agent/list'
    assert request.headers['X-Signature'] == expected_signature(request, '/v1/agent/list', '', 'pageNumber=1')


def test_auth_repr_shows_no_credentials() -> None:
    text = repr(auth())
    assert SECRET not in text and 'key-1' not in text


def test_sign_accepts_str_and_secret() -> None:
    assert sign(SECRET, EXAMPLE_SIGNED) == sign(Secret(SECRET), EXAMPLE_SIGNED) == reference_hmac(SECRET,
                                                                                                   EXAMPLE_SIGNED)
