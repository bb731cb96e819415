"""`python -m services.cli` against the signature-checking echo platform over real HTTP.

The entry point itself runs as a subprocess for the success path, an error exit and --verbose; the other
cases call `main(argv, env=..., stdout=..., stderr=...)` in-process, which runs the same code faster.
The last test walks the documented flow (options, upload, face, cover, create, list) on the real sandbox.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from services.cli import api as cli
from services.core.secret import mask
from tests.platform.signing_echo_app import COVER_PNG, EchoPlatform, Reply, serve_echo
from tests.support.sandbox_server import RunningSandbox

KEY = 'cli-key-0123456789'
SECRET = 'cli-secret-abcdefghijkl'
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures'
COVER_FLAGS = ['cover', '--gender', 'female', '--age', '18-25', '--ethnicity', 'Asian', '--body-type', 'Slim',
               '--breast-size', 'Medium', '--butt-size', 'Medium', '--hair-color', 'Black', '--hair-style', 'Long']


@pytest.fixture(scope='module')
def echo_server() -> Iterator[EchoPlatform]:
    with serve_echo({KEY: SECRET}) as platform:
        yield platform


@pytest.fixture
def echo(echo_server: EchoPlatform) -> Iterator[EchoPlatform]:
    echo_server.reset()
    yield echo_server
    echo_server.reset()


def platform_env(echo: EchoPlatform, **extra: str) -> dict[str, str]:
    return {'PLATFORM_BASE_URL': echo.url, 'PLATFORM_API_KEY': KEY, 'PLATFORM_API_SECRET': SECRET,
            'PLATFORM_USER_ID': 'cli-user', **extra}


def run_in_process(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv, env=env, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def run_subprocess(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(('PLATFORM_', 'STUDIO_', 'SANDBOX_'))}
    return subprocess.run([sys.executable, '-m', 'services.cli.api', *argv], env={**clean, **env}, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


def sent_body(echo: EchoPlatform, index: int = -1) -> dict[str, object]:
    return json.loads(echo.hits[index].body)


# --- the real entry point -----------------------------------------------------------------------------------


def test_options_as_a_subprocess(echo: EchoPlatform) -> None:
    done = run_subprocess(['options', '--namespace', 'custom_agent', '--gender', 'female', '--language', 'en'],
                          platform_env(echo))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data['BreastSize'][0]['code'] == 'Medium'
    assert sent_body(echo) == {'namespace': 'custom_agent', 'gender': 'female', 'language': 'en'}
    assert echo.hits[0].verdict == 'ok' and echo.hits[0].headers['x-user-id'] == 'cli-user'
    assert done.stderr == ''


def test_business_error_as_a_subprocess(echo: EchoPlatform) -> None:
    echo.script('/v1/agent/cover', Reply.business(10500, 'the image backend failed', trace_id='f' * 32))
    done = run_subprocess(COVER_FLAGS, platform_env(echo))
    assert done.returncode == cli.EXIT_BUSINESS
    assert done.stdout == ''
    assert 'the image backend failed' in done.stderr and 'code: 10500' in done.stderr
    assert f'traceId: {"f" * 32}' in done.stderr


def test_verbose_prints_the_signed_request_with_the_key_masked(echo: EchoPlatform) -> None:
    done = run_subprocess(['--verbose', 'create', '--cover-id', 'cover-1', '--name', ' Mia ', '--voice-id', 'v1',
                           '--language', 'en', '--gender', 'male', '--age', '26-35', '--ethnicity', 'Latino',
                           '--body-type', 'Athletic', '--hair-color', 'Brown', '--hair-style', 'Short',
                           '--personality', 'Playful'], platform_env(echo))
    assert done.returncode == 0, done.stderr
    hit = echo.hits[0]
    err = done.stderr
    assert f'> POST {echo.url}/v1/agent/create' in err
    assert f'> authorization: Bearer {mask(KEY)}' in err
    assert f'> x-signature: {hit.headers["x-signature"]}' in err
    assert f'> x-timestamp: {hit.headers["x-timestamp"]}' in err
    assert f'>   {json.dumps(hit.signed_string, ensure_ascii=False)}' in err  # exactly what the server checked
    assert '>   | name=Mia' not in err and '&name=Mia&' in err
    assert f'> body: {hit.body.decode()}' in err  # the exact bytes sent, name untrimmed
    for stream in (done.stdout, done.stderr):
        assert KEY not in stream and SECRET not in stream
    assert json.loads(done.stdout)['name'] == ' Mia '


def test_verbose_after_the_sub_command_and_on_every_retry(echo: EchoPlatform) -> None:
    echo.script('/v1/agent/list', Reply.raw(502, b'bad gateway', 'text/plain'))
    code, out, err = run_in_process(['list', '--verbose'], platform_env(echo))
    assert code == 0
    assert err.count('> POST ') == 2 and err.count('> x-signature: ') == 2
    assert json.loads(out)['total'] == 2


# --- each command --------------------------------------------------------------------------------------------


def test_upload_and_face_send_the_file_with_its_real_content_type(echo: EchoPlatform, tmp_path: Path) -> None:
    disguised = tmp_path / 'photo.jpg'  # a PNG named .jpg: the type comes from the bytes
    shutil.copy(FIXTURES / 'chelsea.png', disguised)
    code, out, _ = run_in_process(['upload', str(disguised)], platform_env(echo))
    assert code == 0 and json.loads(out)['refImageId']
    code, out, _ = run_in_process(['face', str(FIXTURES / 'astronaut.png')], platform_env(echo))
    assert code == 0 and json.loads(out) == {'hasFace': True, 'faceCount': 1}
    code, _, err = run_in_process(['-v', 'face', str(FIXTURES / 'astronaut.png')], platform_env(echo))
    assert code == 0 and 'signed as an empty body' in err and err.count('> body: ') == 1
    assert [hit.upload for hit in echo.hits][:2] == [
        {'filename': 'photo.jpg', 'content_type': 'image/png', 'size': disguised.stat().st_size},
        {'filename': 'astronaut.png', 'content_type': 'image/png',
         'size': (FIXTURES / 'astronaut.png').stat().st_size}]
    assert all(hit.verdict == 'ok' for hit in echo.hits)


def test_upload_of_a_missing_file_is_a_local_error(echo: EchoPlatform, tmp_path: Path) -> None:
    code, out, err = run_in_process(['upload', str(tmp_path / 'nope.png')], platform_env(echo))
    assert code == cli.EXIT_LOCAL_FILE and out == '' and 'cannot read' in err and 'nope.png' in err
    assert echo.hits == []


def test_cover_writes_the_png_and_keeps_stdout_small(echo: EchoPlatform, tmp_path: Path) -> None:
    target = tmp_path / 'cover.png'
    code, out, _ = run_in_process([*COVER_FLAGS, '--ref-image-id', 'ref-1', '--out', str(target)],
                                  platform_env(echo))
    assert code == 0
    result = json.loads(out)
    assert target.read_bytes() == COVER_PNG
    assert result['imageFile'] == str(target) and result['imageBytes'] == len(COVER_PNG)
    assert result['imageType'] == 'image/png' and result['coverId'] and len(result['traceId']) == 32
    assert 'base64' not in result['imageData']
    assert sent_body(echo) == {'gender': 'female', 'age': '18-25', 'ethnicity': 'Asian', 'bodyType': 'Slim',
                               'hairColor': 'Black', 'hairStyle': 'Long', 'breastSize': 'Medium',
                               'buttSize': 'Medium', 'refImageId': 'ref-1'}


def test_cover_out_into_a_missing_folder_fails_before_generating(echo: EchoPlatform, tmp_path: Path) -> None:
    code, out, err = run_in_process([*COVER_FLAGS, '--out', str(tmp_path / 'missing' / 'c.png')], platform_env(echo))
    assert code == cli.EXIT_LOCAL_FILE and out == '' and 'does not exist' in err
    code, _, err = run_in_process([*COVER_FLAGS, '--out', str(tmp_path)], platform_env(echo))
    assert code == cli.EXIT_USAGE and 'is a directory' in err
    assert echo.hits == []


def test_cover_full_prints_the_image_data(echo: EchoPlatform) -> None:
    code, out, _ = run_in_process([*COVER_FLAGS, '--full'], platform_env(echo))
    assert code == 0 and json.loads(out)['imageData'].startswith('data:image/png;base64,')


def test_female_cover_without_breast_size_never_reaches_the_platform(echo: EchoPlatform) -> None:
    flags = [f for i, f in enumerate(COVER_FLAGS) if f != '--breast-size' and COVER_FLAGS[i - 1] != '--breast-size']
    code, out, err = run_in_process(flags, platform_env(echo))
    assert code == cli.EXIT_USAGE and out == '' and 'breastSize is required for female' in err
    assert echo.hits == []


def test_list_sends_the_fields_as_given(echo: EchoPlatform) -> None:
    code, out, _ = run_in_process(['list', '--page-number', '2', '--page-size', '5', '--type', 'custom',
                                   '--language', 'ja'], platform_env(echo))
    assert code == 0
    assert sent_body(echo) == {'pageNumber': 2, 'pageSize': 5, 'language': 'ja', 'type': 'custom'}
    assert json.loads(out)['pageNumber'] == 2


def test_user_id_flag_overrides_the_environment(echo: EchoPlatform) -> None:
    code, _, _ = run_in_process(['--user-id', 'someone-else', 'options'], platform_env(echo))
    assert code == 0 and echo.hits[0].headers['x-user-id'] == 'someone-else' and echo.hits[0].verdict == 'ok'


# --- errors: on stderr, with an exit code per kind -------------------------------------------------------------


def test_exit_codes_differ_by_error_class() -> None:
    codes = [code for _, code in cli.EXIT_CODES] + [cli.EXIT_USAGE, cli.EXIT_CONFIG, cli.EXIT_LOCAL_FILE,
                                                     cli.EXIT_UNEXPECTED]
    assert len(set(codes)) == len(codes) and 0 not in codes


def test_wrong_secret_exits_with_the_authentication_code(echo: EchoPlatform) -> None:
    code, out, err = run_in_process(['options'], platform_env(echo, PLATFORM_API_SECRET='wrong-secret-123456'))
    assert code == cli.EXIT_AUTH and out == ''
    assert 'AuthenticationError' in err and 'code: 10401' in err and 'http status: 401' in err
    assert 'wrong-secret-123456' not in err


def test_unexpected_answer_exits_with_the_protocol_code(echo: EchoPlatform) -> None:
    echo.script('/v1/agent/create', Reply.raw(200, b'<html>maintenance</html>', 'text/html'))
    code, _, err = run_in_process(['create', '--cover-id', 'c', '--name', 'Mia', '--voice-id', 'v', '--gender',
                                   'male', '--age', 'a', '--ethnicity', 'e', '--body-type', 'b', '--hair-color',
                                   'h', '--hair-style', 's'], platform_env(echo))
    assert code == cli.EXIT_PROTOCOL and 'is not JSON' in err and 'maintenance' in err


def test_refused_connection_exits_with_the_unreachable_code() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    env = {'PLATFORM_BASE_URL': f'http://127.0.0.1:{port}', 'PLATFORM_API_KEY': KEY, 'PLATFORM_API_SECRET': SECRET}
    code, out, err = run_in_process(COVER_FLAGS, env)
    assert code == cli.EXIT_UNREACHABLE and out == '' and 'could not be reached' in err


def test_stall_exits_with_the_timeout_code(echo: EchoPlatform) -> None:
    echo.script('/v1/agent/cover', Reply.stall(3))
    code, _, err = run_in_process(COVER_FLAGS, platform_env(echo, PLATFORM_SLOW_TIMEOUT='1'))
    assert code == cli.EXIT_TIMEOUT and 'did not answer within 1 seconds' in err
    assert echo.hits_for('/v1/agent/cover') == 1


@pytest.mark.parametrize(('env', 'needle'), [
    ({'PLATFORM_BASE_URL': 'http://127.0.0.1:9'}, 'PLATFORM_API_KEY and PLATFORM_API_SECRET not set'),
    ({'PLATFORM_BASE_URL': 'http://127.0.0.1:9', 'PLATFORM_API_KEY': KEY}, 'PLATFORM_API_KEY and PLATFORM_API_SECRET'),
    ({'PLATFORM_API_KEY': KEY, 'PLATFORM_API_SECRET': SECRET}, 'PLATFORM_BASE_URL is not set'),
    ({'PLATFORM_BASE_URL': 'ftp://x', 'PLATFORM_API_KEY': KEY, 'PLATFORM_API_SECRET': SECRET}, 'PLATFORM_BASE_URL'),
    ({'PLATFORM_BASE_URL': 'http://127.0.0.1:9', 'PLATFORM_API_KEY': KEY, 'PLATFORM_API_SECRET': SECRET,
      'PLATFORM_TIMEOUT': 'soon'}, 'PLATFORM_TIMEOUT must be a number'),
])
def test_configuration_problems_are_named(env: dict[str, str], needle: str) -> None:
    code, out, err = run_in_process(['options'], env)
    assert code == cli.EXIT_CONFIG and out == '' and needle in err
    assert SECRET not in err


def test_usage_errors_exit_2() -> None:
    code, _, err = run_in_process(['list', '--page-size', 'many'], {})
    assert code == cli.EXIT_USAGE and "invalid int value: 'many'" in err
    code, _, err = run_in_process(['cover', '--gender', 'other'], {})
    assert code == cli.EXIT_USAGE and 'invalid choice' in err


def test_page_size_out_of_range_names_the_flag(echo: EchoPlatform) -> None:
    code, _, err = run_in_process(['list', '--page-size', '1000'], platform_env(echo))
    assert code == cli.EXIT_USAGE and '--page-size' in err and echo.hits == []


# --- the documented flow against the real sandbox ---------------------------------------------------------------


def test_documented_flow_against_the_sandbox(sandbox: RunningSandbox, tmp_path: Path) -> None:
    creds = sandbox.credentials
    env = {'PLATFORM_BASE_URL': sandbox.base_url, 'PLATFORM_API_KEY': creds.api_key,
           'PLATFORM_API_SECRET': creds.api_secret.get(), 'PLATFORM_USER_ID': 'flow-user'}

    def ok(*argv: str) -> dict[str, Any]:
        code, out, err = run_in_process(list(argv), env)
        assert code == 0, err
        return json.loads(out)

    options = ok('options', '--gender', 'female')
    first = {category: items[0]['code'] for category, items in options.items() if items}
    ref = ok('upload', str(FIXTURES / 'astronaut.png'))['refImageId']
    assert ok('face', str(FIXTURES / 'astronaut.png'))['hasFace'] is True
    look = ['--gender', 'female', '--age', first['Age'], '--ethnicity', first['Ethnicity'], '--body-type',
            first['BodyType'], '--breast-size', first['BreastSize'], '--butt-size', first['ButtSize'],
            '--hair-color', first['HairColor'], '--hair-style', first['HairStyle']]
    cover = ok('cover', *look, '--ref-image-id', ref, '--out', str(tmp_path / 'cover.png'))
    with Image.open(tmp_path / 'cover.png') as image:
        assert image.format == 'PNG' and image.width > 100
    agent = ok('create', *look, '--cover-id', cover['coverId'], '--name', 'Mia', '--voice-id', first['Voice'],
               '--language', 'en')
    listed = ok('list', '--page-number', '1', '--page-size', '20', '--type', 'custom')
    assert agent['agentId'] in [record['agentId'] for record in listed['records']]
