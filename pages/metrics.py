"""/metrics: the Prometheus scrape endpoint (services/core/metrics.py), and the counts only the UI layer can make.

Not behind a session: Prometheus does not sign in. Refused unless the request presents STUDIO_METRICS_TOKEN as a
bearer token or comes straight from loopback (may_read_metrics). Scrape config for a token:

    scrape_configs:
      - job_name: agent-studio
        authorization: {type: Bearer, credentials_file: /etc/prometheus/studio-token}
        static_configs: [{targets: ['studio.internal:8080']}]
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from nicegui import Client, app, background_tasks

from runtime import runtime
from services.auth.access import allow_public
from services.core import metrics

PATH = '/metrics'


def setup() -> None:
    allow_public(PATH)  # its own rule below instead of a session
    app.add_api_route(PATH, metrics_route, methods=['GET'], include_in_schema=False)
    metrics.CONNECTED_PAGES.set_function(connected_pages)
    app.on_startup(lambda: background_tasks.create(metrics.watch_loop_lag(), name='event-loop lag'))


def connected_pages() -> int:
    return sum(1 for client in list(Client.instances.values()) if client.has_socket_connection)


async def metrics_route(request: Request) -> Response:
    token = runtime.settings.metrics_token.get()
    host = request.client.host if request.client is not None else None
    if not metrics.may_read_metrics(host, request.headers, token):
        if token:
            return PlainTextResponse('A bearer token is needed for /metrics.\n', status_code=401,
                                     headers={'WWW-Authenticate': 'Bearer', 'Cache-Control': 'no-store'})
        return PlainTextResponse('/metrics answers loopback only; set STUDIO_METRICS_TOKEN to scrape it from '
                                 'elsewhere.\n', status_code=403, headers={'Cache-Control': 'no-store'})
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type, headers={'Cache-Control': 'no-store'})
