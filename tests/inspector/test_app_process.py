"""The app as an operator runs it (`python main.py`, its own process): with STUDIO_LOG_FORMAT=json every log line is
one JSON object, uvicorn's included, and /metrics answers a real loopback connection but not a proxied one."""

from __future__ import annotations

import json
import re

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.app_fixtures import StartApp, artifacts, start_app  # noqa: F401

TOKEN = 'metrics-token-for-the-process-01'
TEXT_LOG_LINE = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ')


def test_json_log_lines_and_metrics_of_the_running_app(start_app: StartApp) -> None:  # noqa: F811
    app = start_app(STUDIO_LOG_FORMAT='json', STUDIO_METRICS_TOKEN=TOKEN)
    scraped = httpx.get(app.url('/metrics'), timeout=10)
    assert scraped.status_code == 200
    names = {family.name for family in text_string_to_metric_families(scraped.text)}
    assert {'studio_platform_requests', 'studio_jobs_running', 'studio_connected_pages',
            'studio_event_loop_lag_seconds', 'process_resident_memory_bytes'} <= names
    proxied = httpx.get(app.url('/metrics'), headers={'X-Forwarded-For': '198.51.100.4'}, timeout=10)
    assert proxied.status_code == 401
    with_token = httpx.get(app.url('/metrics'), timeout=10,
                           headers={'X-Forwarded-For': '198.51.100.4', 'Authorization': f'Bearer {TOKEN}'})
    assert with_token.status_code == 200
    app.stop()

    lines = [line for line in app.log_path.read_text().splitlines() if line.strip() and not line.startswith('=====')]
    records = [json.loads(line) for line in lines if line.startswith('{')]
    assert records and all({'time', 'level', 'logger', 'message'} <= set(record) for record in records)
    assert any(record['logger'].startswith('alembic') for record in records)  # the migrations at start-up
    assert not [line for line in lines if TEXT_LOG_LINE.match(line)]  # no log line in the text format
    assert TOKEN not in app.log_path.read_text()
