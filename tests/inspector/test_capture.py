"""What is kept of a request and how it is shown: masking, data URLs elided, multipart described, the cURL text,
the JSON log line, who may read /metrics, and the new settings. Pure functions: no server, no database."""

from __future__ import annotations

import json
import logging
import shlex

import httpx
import pytest

from services.core.logs import JsonFormatter, log_fields
from services.core.metrics import may_read_metrics
from services.core.secret import Secret
from services.core.settings import SettingsError, load_settings
from services.platform.capture import capture, elide_data_urls, keep_body, mask_headers, mask_key, multipart_parts
from services.platform.curl import to_curl

KEY = 'ak_live_ab12cdef3456789f'
SECRET = Secret('sk_capture_secret_0123456789')


def test_the_key_is_masked_to_a_few_characters() -> None:
    assert mask_key(KEY) == 'ak_l…9f'
    assert mask_key('test-key') == 'te…'  # a short key shows less, never most of itself
    assert mask_key('abc') == '…'
    headers = mask_headers([('Authorization', f'Bearer {KEY}'), ('X-Echo', f'sent {KEY} back'),
                            ('Cookie', 'session=eyJzZWNyZXQ; lb=node-3')], KEY)
    assert headers == {'Authorization': 'Bearer ak_l…9f', 'X-Echo': 'sent ak_l…9f back', 'Cookie': 'session=…; lb=…'}
    answer = mask_headers([('set-cookie', 'session=eyJzZWNyZXQ; Path=/; HttpOnly')])
    assert answer == {'set-cookie': 'session=…; Path=/; HttpOnly'}


def test_data_urls_are_elided_and_the_text_stays_json() -> None:
    payload = 'iVBORw0KGgo' + 'A' * 5000 + '=='
    body = json.dumps({'data': {'coverId': 'c1', 'imageData': f'data:image/png;base64,{payload}'}}).encode()
    kept = keep_body('application/json', body)
    assert 'iVBORw0KGgo' not in kept.text and not kept.exact and not kept.cut
    assert json.loads(kept.text)['data']['imageData'] == 'data:image/png;base64,…[5,013 characters elided]'
    escaped = elide_data_urls(r'{"a":"data:image/jpeg;base64,ab\/cd==","b":1}')  # some writers escape '/'
    assert escaped == '{"a":"data:image/jpeg;base64,…[8 characters elided]","b":1}'
    long = keep_body('application/json', json.dumps({'x': 'y' * 40_000}).encode(), limit=1000)
    assert long.cut and len(long.text) < 1100 and long.size > 40_000


def test_multipart_bodies_keep_the_fields_never_the_file() -> None:
    request = httpx.Request('POST', 'http://p/v1/agent/ref-image',
                            files={'file': ('me "1".png', b'\x89PNG' + b'x' * 300, 'image/png')})
    content = request.read()
    parts = multipart_parts(request.headers['content-type'], content)
    # As sent: httpx writes a quote in a file name as %22 (the HTML form-data rule).
    assert [(p.name, p.filename, p.content_type, p.size) for p in parts] == [
        ('file', 'me %221%22.png', 'image/png', 304)]
    kept = keep_body(request.headers['content-type'], content)
    assert kept.multipart and kept.text == '' and kept.size == len(content)


def test_curl_for_json_sends_the_signed_bytes_with_the_key_masked() -> None:
    body = '{"name":"Mía \'x\'","text":"你好 $HOME `id`"}'.encode()
    detail = capture('POST', 'https://api.example.com/v1/agent/create',
                     [('host', 'api.example.com'), ('content-length', str(len(body))), ('accept', '*/*'),
                      ('content-type', 'application/json'), ('Authorization', f'Bearer {KEY}'),
                      ('X-Timestamp', '1742000000'), ('X-Signature', 'ab' * 32), ('X-Request-ID', 'r' * 32),
                      ('X-User-ID', 'alice'), ('Cookie', 'session=abc')], body, 'POST\n/v1/agent/create\n...',
                     api_key=KEY)
    command = to_curl(detail)
    assert KEY not in command and 'Bearer ak_l…9f' in command and 'session=' not in command
    words = shlex.split(command.replace('\\\n', ''))
    assert words[:4] == ['curl', '-X', 'POST', 'https://api.example.com/v1/agent/create']
    headers = [words[i + 1] for i, word in enumerate(words) if word == '-H']
    assert 'Content-Type: application/json' in headers and 'X-User-ID: alice' in headers
    assert not any(h.lower().startswith(('host:', 'content-length:')) for h in headers)
    assert words[words.index('--data-binary') + 1].encode() == body  # exactly the bytes that were signed


def test_curl_for_multipart_names_the_file_and_lets_curl_pick_the_boundary() -> None:
    request = httpx.Request('POST', 'http://p/v1/agent/face-detect',
                            files={'file': ('my photo.png', b'png', 'image/png')})
    detail = capture('POST', str(request.url), request.headers.items(), request.read(), 'POST\n...', api_key=KEY)
    words = shlex.split(to_curl(detail).replace('\\\n', ''))
    assert words[words.index('-F') + 1] == 'file=@"my photo.png";type=image/png'
    assert not any(w.lower().startswith('content-type:') for w in words)


def test_json_log_lines_carry_the_request_fields_and_no_secret() -> None:
    formatter = JsonFormatter()
    logger = logging.getLogger('tests.inspector')
    with log_fields(endpoint='/v1/agent/cover', person='account-alice'):
        record = logger.makeRecord('tests.inspector', logging.WARNING, __file__, 1, 'cover failed with %s\nsee above',
                                   (SECRET.get(),), None, extra={'trace_id': 't' * 32, 'request_id': 'r' * 32})
        line = formatter.format(record)
    assert '\n' not in line
    parsed = json.loads(line)
    assert parsed['level'] == 'WARNING' and parsed['logger'] == 'tests.inspector'
    assert {parsed[k] for k in ('trace_id', 'request_id', 'person', 'endpoint')} == {
        't' * 32, 'r' * 32, 'account-alice', '/v1/agent/cover'}
    assert SECRET.get() not in line and '[redacted]' in parsed['message']
    outside = json.loads(formatter.format(logger.makeRecord('x', logging.INFO, __file__, 1, 'plain', (), None)))
    assert 'endpoint' not in outside  # the fields end with their block


@pytest.mark.parametrize(('host', 'headers', 'allowed'), [
    ('127.0.0.1', {}, True),
    ('::1', {}, True),
    ('10.0.0.5', {}, False),
    ('127.0.0.1', {'x-forwarded-for': '203.0.113.9'}, False),  # a proxy on this machine: not really loopback
    ('10.0.0.5', {'authorization': 'Bearer metrics-token-0123456789'}, True),
    ('10.0.0.5', {'authorization': 'Bearer wrong-token-0123456789'}, False),
    ('testclient', {}, False),
    (None, {}, False),
])
def test_metrics_need_the_token_or_loopback(host: str | None, headers: dict[str, str], allowed: bool) -> None:
    assert may_read_metrics(host, headers, 'metrics-token-0123456789') is allowed


def test_settings_of_the_inspector() -> None:
    settings = load_settings({'STUDIO_REQUEST_LOG_DAYS': '2.5', 'STUDIO_REQUEST_LOG_ROWS': '1000',
                              'STUDIO_METRICS_TOKEN': 'x' * 20, 'STUDIO_LOG_FORMAT': 'JSON'})
    assert (settings.request_log_days, settings.request_log_rows, settings.log_format) == (2.5, 1000, 'json')
    assert 'x' * 20 not in repr(settings)
    defaults = load_settings({})
    assert (defaults.request_log_days, defaults.request_log_rows, defaults.log_format) == (7.0, 50_000, 'text')
    for env, message in (({'STUDIO_LOG_FORMAT': 'xml'}, 'STUDIO_LOG_FORMAT'),
                         ({'STUDIO_METRICS_TOKEN': 'short'}, 'at least 16'),
                         ({'STUDIO_REQUEST_LOG_ROWS': '-1'}, 'STUDIO_REQUEST_LOG_ROWS'),
                         ({'STUDIO_REQUEST_LOG_DAYS': '0'}, 'STUDIO_REQUEST_LOG_DAYS')):
        with pytest.raises(SettingsError, match=message):
            load_settings(env)
