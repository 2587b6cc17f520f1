"""`trawl serve`: the web UI and the JSON API, on this machine only by default; one server
process per core (web/workers.py), or as many as `--workers` says."""

from __future__ import annotations

import socket
import sys

import uvicorn

from trawl.access.audit import AuditError, AuditLog
from trawl.access.store import AccessStore
from trawl.derive.jobs import JobRunner
from trawl.errors import Busy
from trawl.storage.datadir import DataDir
from trawl.web.app import create_app
from trawl.web.workers import Supervisor, default_workers

LOCAL_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
EVERY_INTERFACE = ("0.0.0.0", "::")  # noqa: S104 (to recognise them, not to bind)


def allowed_hosts(host: str) -> list[str]:
    """Host headers to accept: this machine's names, and the address served on."""
    if host in EVERY_INTERFACE:
        return ["*"]
    return sorted({*LOCAL_NAMES, host, f"[{host}]" if ":" in host else host})


def serve(datadir: DataDir, host: str = "127.0.0.1", port: int = 8080,
          proxy: str | None = None, max_active: int | None = None,
          workers: int | None = None) -> int:
    """`proxy`: the address of a TLS-terminating reverse proxy whose X-Forwarded-For and
    -Proto headers are believed (the client's address in the audit log, Secure cookies).
    `max_active`: requests at work at once per worker, past which they queue briefly, then
    get 503. `workers`: server processes (web/workers.py; default one per core). Returns
    the exit status."""
    listener = listen(host, port)  # first: a port in use is said before anything else
    workers = workers or default_workers()
    _before_serving(datadir)
    shown = f"[{host}]" if ":" in host else host
    if host in EVERY_INTERFACE:
        print("trawl: warning: listening on every network interface; serve it behind HTTPS "
              "(--proxy), or passwords and sessions cross the network in the clear",
              file=sys.stderr)
        shown = "127.0.0.1"
    print(f"Trawl is serving {datadir.root}\nOpen http://{shown}:{port}/ in your browser "
          f"(Ctrl+C to stop; {workers} server process{'es' if workers > 1 else ''}).",
          flush=True)

    def serve_one() -> None:
        # The app (its databases and index reader) is made here, in the process that
        # serves: after the fork, so no connection is shared between workers.
        app = create_app(datadir, allowed_hosts=allowed_hosts(host),
                         **({"max_active": max_active} if max_active else {}))
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                server_header=False, proxy_headers=proxy is not None,
                                forwarded_allow_ips=proxy or "")
        uvicorn.Server(config).run(sockets=[listener])

    if workers == 1:
        serve_one()
        return 0
    return Supervisor(workers, serve_one).run()


def _before_serving(datadir: DataDir) -> None:
    """Once per server, before any worker starts: the jobs a dead server left are marked,
    the audit log's retention applied, and a data folder without accounts is said to be
    so. Everything opened here is closed again (web/workers.py: nothing crosses a fork)."""
    if interrupted := JobRunner(datadir).recover():
        print(f"trawl: {interrupted} background job(s) were interrupted when the server "
              "last stopped; ask for them again (/admin)", file=sys.stderr)
    audit = AuditLog(datadir.audit_path, datadir.secret_key_path)
    try:
        _prune_audit_log(audit)
    finally:
        audit.close()
    access = AccessStore(datadir.access_path)
    try:
        if not access.has_users():
            print("trawl: no accounts yet: only public datasets can be read. Make one with "
                  "`trawl user add NAME --admin`.", file=sys.stderr)
    finally:
        access.close()


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound now; Busy (with the reason) if the port is taken."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on sockets that say they are
    # TCP, and without it each response waited ~40 ms (Nagle's algorithm against the
    # client's delayed ACK) between its headers and its body.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise Busy(f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another "
                   "server running? choose another --port)") from None
    sock.listen(2048)
    return sock


def _prune_audit_log(log: AuditLog) -> None:
    """Apply the audit log's retention (`trawl audit retention`) at each start."""
    if log.retention_days():
        try:
            removed = log.prune("trawl serve")
        except AuditError as exc:  # keep the evidence, say so, and serve anyway
            print(f"trawl: warning: the audit log was not pruned: {exc}", file=sys.stderr)
            return
        if removed:
            print(f"audit log: {removed} entries past the retention removed", file=sys.stderr)
