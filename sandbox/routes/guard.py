"""Who may use the /_sandbox/... control routes: a program on this machine, never a web page.

Breaking the sandbox on purpose (faults, latency) or handing out keys is for test tools and integrators at a
shell. A web page open in a browser on the same machine is also "on this machine", so loopback alone is not
enough; each check below closes one way a page could get a request through:

- no `X-Sandbox-Control: 1` header: a page can only add a custom header after a CORS preflight, which the
  sandbox never grants, so a cross-origin `text/plain` or form POST (a "simple" request) is refused;
- an `Origin` other than the sandbox's own, or `Sec-Fetch-Site` saying cross-site: a browser's request from
  another page;
- a `Host` that is not a loopback name: DNS rebinding (a hostile name pointed at 127.0.0.1 makes the page
  "same-origin" with the sandbox, but its requests still carry that name);
- a peer that is not loopback, or proxy forwarding headers: someone else's machine;
- a body that is not JSON: nothing a plain HTML form can send.
"""

from __future__ import annotations

import ipaddress

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..controller import controller_of

CONTROL_HEADER = 'X-Sandbox-Control'
CONTROL_HEADERS = {CONTROL_HEADER: '1'}  # what a test tool or script sends with every control request
_PROXY_HEADERS = ('forwarded', 'x-forwarded-for', 'x-real-ip')
_BROWSER_SITES_OK = ('same-origin', 'none')  # 'none': typed into the address bar, never a page's doing


def _is_loopback(host: str) -> bool:
    host = host.strip('[]')
    if host.lower() == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    """'127.0.0.1:8601' -> '127.0.0.1', '[::1]:8601' -> '::1', 'localhost' -> 'localhost'."""
    if host_header.startswith('['):
        return host_header[1:].split(']', 1)[0]
    return host_header.rsplit(':', 1)[0] if host_header.count(':') == 1 else host_header


def require_control_request(request: Request) -> None:
    """Raise 404 when control is off, 403 (saying why) for anything but a local program's request."""
    if not controller_of(request).config.allow_fault_control:
        raise HTTPException(404)
    headers = request.headers
    peer = request.client.host if request.client else ''
    if not _is_loopback(peer) or any(name in headers for name in _PROXY_HEADERS):
        raise HTTPException(403, 'sandbox control is only accepted from this machine')
    host = headers.get('host', '')
    if not _is_loopback(_host_name(host)):
        raise HTTPException(403, 'sandbox control is only accepted on a loopback address (127.0.0.1, localhost)')
    origin = headers.get('origin')
    if origin is not None and origin.rstrip('/') != f'{request.url.scheme}://{host}':
        raise HTTPException(403, 'sandbox control does not accept requests from web pages (cross-origin)')
    if headers.get('sec-fetch-site', 'none') not in _BROWSER_SITES_OK:
        raise HTTPException(403, 'sandbox control does not accept requests from web pages (cross-site)')
    if headers.get(CONTROL_HEADER.lower()) != '1':
        raise HTTPException(403, f'sandbox control needs the header "{CONTROL_HEADER}: 1"')
    has_body = headers.get('content-length', '0') != '0' or 'transfer-encoding' in headers
    if request.method in ('POST', 'PUT', 'PATCH') and has_body \
            and not headers.get('content-type', '').lower().startswith('application/json'):
        raise HTTPException(415, 'sandbox control takes a JSON body (Content-Type: application/json)')
