"""`python main.py export-cards`: every custom agent of the key as PNG and JSON cards, resumable, with a summary."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from services.cli import api as cli
from services.cli.cards import run as export_cards
from services.studio.cards import read_card
from tests.support.sandbox_server import RunningSandbox

FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures'


def test_export_cards_writes_both_files_and_resumes(sandbox: RunningSandbox, tmp_path: Path) -> None:
    creds = sandbox.credentials
    env = {'PLATFORM_BASE_URL': sandbox.base_url, 'PLATFORM_API_KEY': creds.api_key,
           'PLATFORM_API_SECRET': creds.api_secret.get(), 'STUDIO_DATA_DIR': str(tmp_path / 'data')}

    def ok(*argv: str) -> dict[str, Any]:
        out, err = io.StringIO(), io.StringIO()
        assert cli.main(list(argv), env=env, stdout=out, stderr=err) == 0, err.getvalue()
        return json.loads(out.getvalue())

    options = ok('options', '--gender', 'male')
    first = {category: items[0]['code'] for category, items in options.items() if items}
    look = ['--gender', 'male', '--age', first['Age'], '--ethnicity', first['Ethnicity'], '--body-type',
            first['BodyType'], '--hair-color', first['HairColor'], '--hair-style', first['HairStyle']]
    cover = ok('cover', *look, '--out', str(tmp_path / 'cover.png'))
    agent = ok('create', *look, '--cover-id', cover['coverId'], '--name', 'Kai', '--voice-id', first['Voice'],
               '--language', 'en')

    out, err = io.StringIO(), io.StringIO()
    assert export_cards(['--out', str(tmp_path / 'cards')], env=env, stdout=out, stderr=err) == 0, out.getvalue()
    assert '1 written, 0 already there, 0 failed' in out.getvalue() and '1/1' in err.getvalue()
    png = (tmp_path / 'cards' / f'{agent["agentId"]}.png').read_bytes()
    card = read_card(png)
    assert card['spec'] == 'chara_card_v3' and card['data']['name'] == 'Kai'
    assert card['data']['extensions']['agent_studio']['codes']['Voice'] == first['Voice']
    as_json = json.loads((tmp_path / 'cards' / f'{agent["agentId"]}.json').read_text())
    assert as_json['data']['extensions'] == card['data']['extensions']

    out = io.StringIO()
    assert export_cards(['--out', str(tmp_path / 'cards')], env=env, stdout=out, stderr=io.StringIO()) == 0
    assert '0 written, 1 already there' in out.getvalue()
