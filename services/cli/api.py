"""`python -m services.cli`: call the platform's open API from a terminal, signed exactly as the app signs.

    export PLATFORM_BASE_URL=https://api.example.com PLATFORM_API_KEY=... PLATFORM_API_SECRET=...
    python -m services.cli options --namespace custom_agent --gender female
    python -m services.cli upload photo.jpg
    python -m services.cli cover --gender female --age 18-25 --ethnicity Asian --body-type Slim \\
        --breast-size Medium --butt-size Medium --hair-color Black --hair-style Long --out cover.png
    python -m services.cli --verbose list --page-number 1 --page-size 20 --type custom
    python -m services.cli conversation --agent-id AGENT    (then chat and chat-image: services/cli/chat.py)

Request fields are flags named by their JSON field in kebab-case (bodyType -> --body-type). The result is
printed as JSON on stdout; errors go to stderr with an exit code per kind of failure (see EXIT_CODES).
`--verbose` prints every signed request to stderr (method, URL, headers with the API key masked, the
signed string) — what an integrator compares when a signature is refused. `--curl` prints each as a cURL command
instead (the Requests page's Copy as cURL, services/platform/curl.py). The secret is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel

from services.cli import chat as chat_cli
from services.cli.common import (
    EXIT_AUTH,
    EXIT_BUSINESS,
    EXIT_CONFIG,
    EXIT_INTERRUPTED,
    EXIT_LOCAL_FILE,
    EXIT_OK,
    EXIT_PROTOCOL,
    EXIT_TIMEOUT,
    EXIT_TRANSPORT,
    EXIT_UNEXPECTED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    CliError,
    check_writable,
    decode_data_url,
    image_file,
    write_image,
)
from services.cli.flags import add_model_flags, kebab, model_from_args
from services.core.secret import mask
from services.core.settings import Settings, SettingsError, load_settings
from services.platform.capture import capture
from services.platform.client import Credentials, PlatformClient, SignedRequestInfo
from services.platform.curl import to_curl
from services.platform.errors import (
    AuthenticationError,
    BusinessError,
    PlatformError,
    ProtocolError,
    TransportError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from services.platform.models import AgentListRequest, CoverRequest, CreateAgentRequest

__all__ = ['EXIT_AUTH', 'EXIT_BUSINESS', 'EXIT_CONFIG', 'EXIT_INTERRUPTED', 'EXIT_LOCAL_FILE', 'EXIT_OK',
           'EXIT_PROTOCOL', 'EXIT_TIMEOUT', 'EXIT_TRANSPORT', 'EXIT_UNEXPECTED', 'EXIT_UNREACHABLE', 'EXIT_USAGE',
           'CliError', 'check_writable', 'decode_data_url', 'image_file', 'kebab', 'main', 'write_image']

# Most specific first: the first matching class decides the exit code.
EXIT_CODES: tuple[tuple[type[PlatformError], int], ...] = (
    (AuthenticationError, EXIT_AUTH),
    (BusinessError, EXIT_BUSINESS),
    (ProtocolError, EXIT_PROTOCOL),
    (UpstreamUnreachable, EXIT_UNREACHABLE),
    (UpstreamTimeout, EXIT_TIMEOUT),
    (TransportError, EXIT_TRANSPORT),
)

EPILOG = '''exit codes: 0 ok, 2 bad flags or fields, 3 configuration, 4 local file, 10 authentication (401),
11 business error (success: false), 12 unexpected answer, 13 unreachable, 14 timeout, 15 other transport,
1 anything else.

environment: PLATFORM_BASE_URL, PLATFORM_API_KEY, PLATFORM_API_SECRET, PLATFORM_USER_ID (default
studio-user), PLATFORM_PATH_* (endpoint paths), PLATFORM_TIMEOUT, PLATFORM_SLOW_TIMEOUT, PLATFORM_CONNECT_TIMEOUT.'''


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS, so `--verbose` works before and after the sub-command without one resetting the other.
    common.add_argument('-v', '--verbose', action='store_true', default=argparse.SUPPRESS,
                        help='print each signed request (API key masked, secret never) to stderr')
    common.add_argument('--curl', action='store_true', default=argparse.SUPPRESS,
                        help='print each signed request as a cURL command (API key masked) to stderr')
    common.add_argument('--user-id', default=argparse.SUPPRESS,
                        help='X-User-ID to call for (default: PLATFORM_USER_ID, else studio-user)')

    parser = argparse.ArgumentParser(prog='python -m services.cli', parents=[common], epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="Call the character platform's open API, signed as the app "
                                                 'signs. Results are JSON on stdout.')
    commands = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')

    options = commands.add_parser('options', parents=[common], help='material options (POST /v1/config/options)')
    options.add_argument('--namespace', default='custom_agent', help='namespace (default custom_agent)')
    options.add_argument('--gender', choices=['male', 'female'], help='only options for this gender')
    options.add_argument('--language', default='en', help='label language (default en)')

    for name, what in (('upload', 'upload a reference image; prints its refImageId'),
                       ('face', 'check an image for a face')):
        sub = commands.add_parser(name, parents=[common], help=what)
        sub.add_argument('path', type=Path, metavar='PATH', help='image file (JPEG, PNG, WebP, ...)')

    cover = commands.add_parser('cover', parents=[common], help='generate a cover image (slow: 30-300 s)',
                                description='Generate a cover. Every value except --gender is an option code '
                                            '(see the options command). Never retried automatically.')
    add_model_flags(cover, CoverRequest)
    cover.add_argument('--out', type=Path, metavar='FILE', help='write the decoded image to FILE')
    cover.add_argument('--full', action='store_true', help='print imageData in full (it is a large data: URL)')

    create = commands.add_parser('create', parents=[common], help='create the custom agent from a cover')
    add_model_flags(create, CreateAgentRequest)

    listing = commands.add_parser('list', parents=[common], help='list agents')
    add_model_flags(listing, AgentListRequest)
    chat_cli.add_commands(commands, common)
    return parser


def load_cli_settings(env: typing.Mapping[str, str] | None) -> Settings:
    try:
        settings = load_settings(env)
    except SettingsError as error:
        raise CliError(str(error), EXIT_CONFIG) from None
    if not settings.base_url:
        raise CliError('PLATFORM_BASE_URL is not set: point it at the platform (e.g. https://api.example.com) or '
                       'at a local sandbox (python -m sandbox prints the URL to use)', EXIT_CONFIG)
    missing = [name for name, value in (('PLATFORM_API_KEY', settings.api_key),
                                        ('PLATFORM_API_SECRET', settings.api_secret.get())) if not value]
    if missing:
        raise CliError(f'{" and ".join(missing)} not set: every request is signed with the API key and its '
                       'secret', EXIT_CONFIG)
    return settings


class VerbosePrinter:
    """Prints each signed request; the API key is masked, the secret is never in what it is given."""

    def __init__(self, stream: TextIO, api_key: str) -> None:
        self.stream = stream
        self.api_key = api_key

    def __call__(self, info: SignedRequestInfo) -> None:
        lines = [f'> {info.method} {info.url}']
        for name, value in info.headers.items():
            if name.lower() == 'authorization':
                value = value.replace(self.api_key, mask(self.api_key)) if self.api_key else value
            lines.append(f'> {name}: {value}')
        content_type = next((v for k, v in info.headers.items() if k.lower() == 'content-type'), '')
        if content_type.startswith('multipart/'):
            lines.append(f'> body: <multipart form, {len(info.body)} bytes; signed as an empty body>')
        elif info.body:
            lines.append(f'> body: {info.body.decode("utf-8", "replace")}')
        lines.append('> signed string (JSON-quoted, exact):')
        lines.append(f'>   {json.dumps(info.signed_string, ensure_ascii=False)}')
        lines.append('> signed string (line by line):')
        lines.extend(f'>   | {line}' for line in info.signed_string.split('\n'))
        print('\n'.join(lines), file=self.stream, flush=True)


class CurlPrinter:
    """Prints each signed request as the cURL command that sends the same bytes, the API key masked."""

    def __init__(self, stream: TextIO, api_key: str) -> None:
        self.stream = stream
        self.api_key = api_key

    def __call__(self, info: SignedRequestInfo) -> None:
        detail = capture(info.method, info.url, info.headers.items(), info.body, info.signed_string,
                         api_key=self.api_key)
        print('# the signed request as cURL: put your API key in; it is refused 5 minutes after X-Timestamp, and '
              'an X-Request-ID is accepted once', file=self.stream)
        print(to_curl(detail), file=self.stream, flush=True)


async def run_command(args: argparse.Namespace, client: PlatformClient, creds: Credentials) -> Any:
    command = args.command
    if command == 'options':
        options = await client.options(creds, namespace=args.namespace, gender=args.gender, language=args.language)
        return {category: [o.model_dump(mode='json') for o in items] for category, items in options.items()}
    if command in ('upload', 'face'):
        content, filename, content_type = image_file(args.path)
        if command == 'upload':
            result: BaseModel = await client.upload_ref_image(creds, content, filename, content_type)
        else:
            result = await client.face_detect(creds, content, filename, content_type)
        return result.model_dump(mode='json')
    if command == 'cover':
        request = model_from_args(CoverRequest, args)
        if args.out is not None:
            check_writable(args.out)  # before the slow, paid generation, not after it
        cover, trace_id = await client.generate_cover(creds, request)
        output: dict[str, Any] = {'coverId': cover.coverId, 'traceId': trace_id}
        if args.out is not None:
            image, image_type = decode_data_url(cover.imageData)
            write_image(args.out, image, f'coverId {cover.coverId} stays valid for 30 minutes')
            output.update(imageFile=str(args.out), imageType=image_type, imageBytes=len(image))
        if args.full:
            output['imageData'] = cover.imageData
        else:
            output['imageData'] = f'<{len(cover.imageData)} characters; --full prints them, --out FILE saves them>'
        return output
    if command == 'create':
        agent, trace_id = await client.create_agent(creds, model_from_args(CreateAgentRequest, args))
        return {**agent.model_dump(mode='json'), 'traceId': trace_id}
    if command == 'list':
        page = await client.list_agents(creds, model_from_args(AgentListRequest, args))
        return page.model_dump(mode='json')
    raise CliError(f'unknown command {command}', EXIT_USAGE)


def report_error(error: BaseException, stream: TextIO) -> int:
    if isinstance(error, CliError):
        print(f'error: {error}', file=stream)
        return error.exit_code
    if isinstance(error, PlatformError):
        print(f'error: {error.user_message}', file=stream)
        print(f'  kind: {type(error).__name__}', file=stream)
        if error.code is not None:
            print(f'  code: {error.code}', file=stream)
        if error.trace_id:
            print(f'  traceId: {error.trace_id}', file=stream)
        if error.status is not None:
            print(f'  http status: {error.status}', file=stream)
        return next((code for cls, code in EXIT_CODES if isinstance(error, cls)), EXIT_UNEXPECTED)
    print(f'error: unexpected {type(error).__name__}: {error}', file=stream)
    return EXIT_UNEXPECTED


async def run(args: argparse.Namespace, env: typing.Mapping[str, str] | None, stdout: TextIO,
              stderr: TextIO) -> int:
    settings = load_cli_settings(env)
    user_id = getattr(args, 'user_id', None) or settings.user_id
    creds = Credentials(settings.api_key, settings.api_secret, user_id)
    client = PlatformClient.from_settings(settings)
    printers: list[VerbosePrinter | CurlPrinter] = []
    if getattr(args, 'verbose', False):
        printers.append(VerbosePrinter(stderr, settings.api_key))
    if getattr(args, 'curl', False):
        printers.append(CurlPrinter(stderr, settings.api_key))

    def print_signed(info: SignedRequestInfo) -> None:
        for printer in printers:
            printer(info)

    if printers:
        client.on_signed = print_signed
    try:
        if args.command in chat_cli.COMMANDS:
            result = await chat_cli.run(args, client, creds, stdout)
        else:
            result = await run_command(args, client, creds)
    finally:
        await client.aclose()
    if result is not None:  # None: the command printed as it went (chat)
        print(json.dumps(result, ensure_ascii=False, indent=2), file=stdout)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, *, env: typing.Mapping[str, str] | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run one command; returns the exit code. `env` defaults to os.environ (tests pass their own)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse already printed
        return int(exit_.code or 0)
    try:
        return asyncio.run(run(args, env, stdout, stderr))
    except KeyboardInterrupt:
        print('interrupted (a cover generation or agent creation may still finish on the platform)', file=stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        return report_error(error, stderr)


if __name__ == '__main__':
    sys.exit(main())
