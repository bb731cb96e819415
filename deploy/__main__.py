"""`python -m deploy`: the deployment on this machine, or the nginx configuration for your own machines.

    python -m deploy up [--instances 2] [--port 8090] [--dir data/cluster] [--latency 5-12]   # == make cluster
    python -m deploy nginx-conf --instance 10.0.0.5:8080 --instance 10.0.0.6:8080 [--listen 80] [--sandbox ...]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from deploy.cluster import Cluster, ClusterConfig, Ports
from deploy.nginx import NginxConfig, render
from deploy.process import port_is_free


def _up(args: argparse.Namespace) -> int:
    ports = Ports.defaults(args.instances, args.port)
    busy = [port for port in (ports.nginx, *ports.instances, ports.sandbox, ports.redis, ports.postgres)
            if not port_is_free(port)]
    if busy:
        print(f'deploy: port(s) {", ".join(map(str, busy))} are taken (another cluster running?); stop it or pass '
              f'--port', file=sys.stderr)
        return 2
    root = args.dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        root.chmod(0o711)  # PostgreSQL runs as `postgres` and must reach its directory inside
    cluster = Cluster(ClusterConfig(root=root, ports=ports, sandbox_latency=args.latency,
                                    debug_header=not args.no_debug_header))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f'Starting PostgreSQL, Redis, the sandbox, {args.instances} instances and nginx under {root} ...',
          flush=True)
    cluster.start()
    print(cluster.describe(), flush=True)
    print('Sign in with "Enter the sandbox demo". Ctrl-C stops everything (instances drain first).', flush=True)
    try:
        while not stop.wait(1.0):
            for managed in (*cluster.instances, cluster.nginx, cluster.sandbox):
                if managed.process is not None and not managed.running:
                    print(f'deploy: {managed.name} exited (code {managed.exit_code}); see {managed.log_path}',
                          file=sys.stderr, flush=True)
                    managed.process = None  # said once
    finally:
        print('Stopping ...', flush=True)
        cluster.stop()
    return 0


def _nginx_conf(args: argparse.Namespace) -> int:
    config = NginxConfig(instances=tuple(args.instance), listen=args.listen, prefix=Path(args.prefix),
                         max_upload_mb=args.max_upload_mb, sandbox=args.sandbox, user=args.user,
                         worker_processes='auto', secure_cookie=args.secure_cookie)
    sys.stdout.write(render(config))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m deploy', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest='command', required=True)
    up = commands.add_parser('up', help='run the whole deployment on this machine (loopback only)')
    up.add_argument('--instances', type=int, default=2, help='studio instances (default 2)')
    up.add_argument('--port', type=int, default=8090,
                    help='nginx listens here, instances on the next ports (default 8090; sandbox 8601, Redis 6390, '
                         'PostgreSQL 5442)')
    up.add_argument('--dir', type=Path, default=Path('data/cluster'), help='where everything is kept')
    up.add_argument('--latency', default='5-12', help='seconds the sandbox takes per cover (default 5-12)')
    up.add_argument('--no-debug-header', action='store_true',
                    help='leave out the X-Studio-Upstream answer header (which instance served)')
    conf = commands.add_parser('nginx-conf', help='print an nginx configuration for instances on other machines')
    conf.add_argument('--instance', action='append', required=True, metavar='HOST:PORT',
                      help='an instance; repeat for each')
    conf.add_argument('--listen', default='80', help='nginx listen directive value (default 80)')
    conf.add_argument('--sandbox', metavar='HOST:PORT', help='the standalone sandbox, when the demo runs on one')
    conf.add_argument('--max-upload-mb', type=float, default=10.0, help='the instances\' STUDIO_MAX_UPLOAD_MB')
    conf.add_argument('--prefix', default='/var/lib/agent-studio/nginx', help='nginx logs and temporary files')
    conf.add_argument('--user', default='www-data', help='user nginx workers run as (default www-data)')
    conf.add_argument('--secure-cookie', action='store_true',
                      help='mark the route cookie Secure (when browsers reach nginx over HTTPS)')
    args = parser.parse_args(argv)
    if args.command == 'up':
        if args.instances < 1:
            parser.error('--instances must be at least 1')
        return _up(args)
    return _nginx_conf(args)


if __name__ == '__main__':
    sys.exit(main())
