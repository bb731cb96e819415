"""The nginx in front of the instances: its configuration (rendered from nginx.conf.in) and, on this machine, its
process (`nginx -p <dir> -c <dir>/nginx.conf`, in the foreground, never installed as a system service)."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from deploy.process import Managed, wait_for_http

TEMPLATE = Path(__file__).with_name('nginx.conf.in')
ROUTE_COOKIE = 'studio_route'
# Above the app's own limit (STUDIO_MAX_UPLOAD_MB) by this much: multipart framing, and room for the app's message.
BODY_MARGIN_MB = 1


@dataclass(frozen=True)
class NginxConfig:
    instances: tuple[str, ...]  # host:port of each instance
    listen: str = '127.0.0.1:8090'
    prefix: Path = Path('/var/lib/agent-studio/nginx')  # must exist; logs, pid file and temp bodies go here
    max_upload_mb: float = 10.0
    sandbox: str | None = None  # host:port of the standalone sandbox whose /cdn/ images browsers load
    cookie: str = ROUTE_COOKIE
    max_fails: int = 2
    fail_timeout_s: int = 10
    worker_processes: str = 'auto'
    foreground: bool = False  # `daemon off;` for a supervisor (or a test) that holds the process
    user: str | None = None  # worker user when nginx starts as root; None leaves nginx's default
    # X-Studio-Upstream on every answer: which instance served it. For tests and trying it out; it names internal
    # addresses, so it is off in what an operator deploys.
    debug_header: bool = False
    secure_cookie: bool = False  # behind TLS: the route cookie is only ever sent over HTTPS
    extra_main: tuple[str, ...] = field(default_factory=tuple)

    @property
    def body_limit(self) -> str:
        return f'{math.ceil(self.max_upload_mb) + BODY_MARGIN_MB}m'


def render(config: NginxConfig) -> str:
    if not config.instances:
        raise ValueError('nginx needs at least one instance')
    main = [f'worker_processes {config.worker_processes};']
    if config.foreground:
        main.append('daemon off;')
    if config.user:
        main.append(f'user {config.user};')
    main.extend(config.extra_main)
    servers = '\n'.join(f'        server {address} max_fails={config.max_fails} fail_timeout={config.fail_timeout_s}s;'
                        for address in config.instances)
    if config.sandbox:
        sandbox_upstream = (f'\n    upstream sandbox {{\n        server {config.sandbox};\n        keepalive 8;\n'
                            f'    }}\n')
        # Only the sandbox's images reach browsers; its API and its fault controls stay off the proxy.
        sandbox_locations = ('\n        location /sandbox/cdn/ {\n            proxy_pass http://sandbox/cdn/;\n'
                             '            proxy_set_header Connection "";\n        }\n'
                             '        location /sandbox/ {\n            return 404;\n        }\n')
    else:
        sandbox_upstream = sandbox_locations = ''
    debug = '            add_header X-Studio-Upstream $upstream_addr always;' if config.debug_header else ''
    text = TEMPLATE.read_text()
    for name, value in (('MAIN', '\n'.join(main)), ('PREFIX', str(config.prefix)), ('COOKIE', config.cookie),
                        ('SERVERS', servers), ('SANDBOX_UPSTREAM', sandbox_upstream), ('LISTEN', config.listen),
                        ('BODY_LIMIT', config.body_limit), ('SANDBOX_LOCATIONS', sandbox_locations),
                        ('DEBUG_HEADER', debug), ('SECURE', '; Secure' if config.secure_cookie else '')):
        text = text.replace(f'@{name}@', value)
    # A debug header left out leaves an empty line; drop those lines rather than ship stray white space.
    return '\n'.join(line for line in text.splitlines() if line.strip() or not line) + '\n'


def nginx_binary() -> str:
    found = shutil.which('nginx') or next((p for p in ('/usr/sbin/nginx', '/usr/local/sbin/nginx')
                                           if os.access(p, os.X_OK)), None)
    if not found:
        raise FileNotFoundError('nginx is not installed; on Debian: sudo apt-get install -y nginx')
    return found


class NginxProcess(Managed):
    """nginx in the foreground on a prefix directory of its own."""

    def __init__(self, config: NginxConfig, log_dir: Path) -> None:
        super().__init__('nginx', log_dir)
        self.config = config

    @property
    def conf_path(self) -> Path:
        return self.config.prefix / 'nginx.conf'

    def write_config(self) -> None:
        prefix = self.config.prefix
        prefix.mkdir(parents=True, exist_ok=True)
        # Workers run as an unprivileged user when nginx starts as root; they must reach their temp directories
        # (nginx makes those itself, inside the prefix).
        prefix.chmod(0o755)
        self.conf_path.write_text(render(self.config))

    @property
    def access_log(self) -> Path:
        return self.config.prefix / 'access.log'

    @property
    def error_log(self) -> Path:
        return self.config.prefix / 'error.log'

    def check(self) -> None:
        """`nginx -t` on the rendered file: a bad configuration stops here with nginx's own words."""
        self.write_config()
        result = subprocess.run([nginx_binary(), '-t', '-q', '-p', str(self.config.prefix), '-c', str(self.conf_path)],
                                capture_output=True, text=True, timeout=30, check=False)
        if result.returncode != 0:
            raise RuntimeError(f'nginx refused {self.conf_path}:\n{result.stderr.strip()}')

    def start(self, timeout: float = 20.0) -> None:
        self.check()
        self.spawn([nginx_binary(), '-p', str(self.config.prefix), '-c', str(self.conf_path)])
        wait_for_http(f'http://{self.config.listen}/nginx-healthz', self, timeout)

    def reload(self) -> None:
        """Re-read the configuration without dropping connections (SIGHUP), e.g. after adding an instance."""
        self.check()
        self.send_hangup()
