"""`python main.py export-cards --out DIR`: every custom agent of the configured key as a PNG and a JSON card.

For operators' backups. Resumable: an agent whose two files are already in DIR is skipped, and each file is written
whole (atomic_write) so an interrupted run leaves no half card. A progress bar goes to stderr, and a summary of what
failed ends the run (exit 0 when every agent was written, 1 when some failed). Who made each agent comes from the
app's database when it can be opened; without it the cards simply say nothing about their maker.

Exit codes as `python -m services.cli` (3 configuration, 10 authentication, 13 platform unreachable, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import httpx
from PIL import Image

from services.cli.api import EXIT_OK, CliError, load_cli_settings, report_error
from services.core.db import Database, database_url
from services.core.storage import atomic_write, safe_filename
from services.platform.client import Credentials, PlatformClient
from services.platform.models import AgentListRequest, AgentRecord
from services.studio.cards import card_json, card_png
from services.studio.library import Maker, makers_of
from services.studio.library_actions import fetch_cover_png

EXIT_SOME_FAILED = 1
PAGE = 100


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python main.py export-cards',
                                     description='Write every custom agent of the configured key as card files.')
    parser.add_argument('--out', type=Path, required=True, help='directory for the .png and .json cards')
    parser.add_argument('--language', default='en', choices=('en', 'zh', 'ja'), help='language of the labels')
    return parser


async def all_agents(client: PlatformClient, creds: Credentials, language: str) -> list[AgentRecord]:
    found: dict[str, AgentRecord] = {}
    number = 1
    while True:
        page = await client.list_agents(creds, AgentListRequest(pageNumber=number, pageSize=PAGE,
                                                                language=language))
        for record in page.records:
            found.setdefault(record.agentId, record)
        if len(page.records) < PAGE or len(found) >= page.total:
            return list(found.values())
        number += 1


def _progress(stream: TextIO, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    stream.write(f'\r[{"#" * filled}{"." * (width - filled)}] {done}/{total}')
    stream.flush()


def _makers_or_nothing(env: Mapping[str, str], data_dir: Path, ids: list[str], stderr: TextIO) -> dict[str, Maker]:
    try:
        database = Database(database_url(env.get('STUDIO_DATABASE_URL'), data_dir))
        try:
            return database.read_sync(makers_of, ids)
        finally:
            database.close()
    except Exception as error:  # the backup is worth more than the makers: go on without them
        print(f'note: who made each agent is not in the cards ({type(error).__name__})', file=stderr)
        return {}


async def export(args: argparse.Namespace, env: Mapping[str, str], stdout: TextIO, stderr: TextIO) -> int:
    settings = load_cli_settings(env)
    creds = Credentials(settings.api_key, settings.api_secret, settings.user_id)
    out: Path = args.out
    client = PlatformClient.from_settings(settings)
    failed: list[tuple[str, str]] = []
    written = skipped = 0
    try:
        agents = await all_agents(client, creds, args.language)
        makers = _makers_or_nothing(env, settings.data_dir, [a.agentId for a in agents], stderr)
        async with httpx.AsyncClient(timeout=settings.timeout, follow_redirects=True) as http:
            for done, agent in enumerate(agents, 1):
                stem = out / safe_filename(agent.agentId)
                png, js = stem.with_suffix('.png'), stem.with_suffix('.json')
                if png.exists() and js.exists():
                    skipped += 1
                else:
                    maker = makers.get(agent.agentId)
                    try:
                        atomic_write(js, card_json(agent, maker))
                        atomic_write(png, card_png(await fetch_cover_png(http, agent.coverUrl), agent, maker))
                        written += 1
                    except (httpx.HTTPError, ValueError, OSError, Image.DecompressionBombError) as error:
                        failed.append((agent.agentId, str(error) or type(error).__name__))
                _progress(stderr, done, len(agents))
    finally:
        await client.aclose()
    stderr.write('\n')
    print(f'{len(agents)} agents: {written} written, {skipped} already there, {len(failed)} failed', file=stdout)
    for agent_id, why in failed:
        print(f'  failed {agent_id}: {why} (its JSON card is written when only the cover failed)', file=stdout)
    return EXIT_OK if not failed else EXIT_SOME_FAILED


def run(argv: list[str], *, env: Mapping[str, str] | None = None, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return report_error(CliError(f'cannot create {args.out}: {error.strerror}', 4), stderr)
    try:
        return asyncio.run(export(args, os.environ if env is None else env, stdout, stderr))
    except Exception as error:
        return report_error(error, stderr)
