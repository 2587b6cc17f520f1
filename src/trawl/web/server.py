"""`trawl serve`: one process, the web UI and the JSON API, on this machine only by default."""

from __future__ import annotations

import socket
import sys

import uvicorn

from trawl.access.audit import AuditError
from trawl.errors import Busy
from trawl.storage.datadir import DataDir
from trawl.web.app import create_app

LOCAL_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
EVERY_INTERFACE = ("0.0.0.0", "::")  # noqa: S104 (to recognise them, not to bind)


def allowed_hosts(host: str) -> list[str]:
    """Host headers to accept: this machine's names, and the address served on."""
    if host in EVERY_INTERFACE:
        return ["*"]
    return sorted({*LOCAL_NAMES, host, f"[{host}]" if ":" in host else host})


def serve(datadir: DataDir, host: str = "127.0.0.1", port: int = 8080,
          proxy: str | None = None, max_active: int | None = None) -> None:
    """`proxy`: the address of a TLS-terminating reverse proxy whose X-Forwarded-For and
    -Proto headers are believed (the client's address in the audit log, Secure cookies).
    `max_active`: requests at work at once, past which they queue briefly, then get 503."""
    listener = listen(host, port)  # first: a port in use is said before anything else
    app = create_app(datadir, allowed_hosts=allowed_hosts(host),
                     **({"max_active": max_active} if max_active else {}))
    _prune_audit_log(app)
    if interrupted := app.state.jobs.recover():
        print(f"trawl: {interrupted} background job(s) were interrupted when the server "
              "last stopped; ask for them again (/admin)", file=sys.stderr)
    shown = f"[{host}]" if ":" in host else host
    if host in EVERY_INTERFACE:
        print("trawl: warning: listening on every network interface; serve it behind HTTPS "
              "(--proxy), or passwords and sessions cross the network in the clear",
              file=sys.stderr)
        shown = "127.0.0.1"
    if not app.state.access.has_users():
        print("trawl: no accounts yet: only public datasets can be read. Make one with "
              "`trawl user add NAME --admin`.", file=sys.stderr)
    print(f"Trawl is serving {datadir.root}\nOpen http://{shown}:{port}/ in your browser "
          "(Ctrl+C to stop).", flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                            server_header=False, proxy_headers=proxy is not None,
                            forwarded_allow_ips=proxy or "")
    uvicorn.Server(config).run(sockets=[listener])


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound now; Busy (with the reason) if the port is taken."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise Busy(f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another "
                   "server running? choose another --port)") from None
    sock.listen(2048)
    return sock


def _prune_audit_log(app: object) -> None:
    """Apply the audit log's retention (`trawl audit retention`) at each start."""
    log = app.state.audit  # type: ignore[attr-defined]
    if log.retention_days():
        try:
            removed = log.prune("trawl serve")
        except AuditError as exc:  # keep the evidence, say so, and serve anyway
            print(f"trawl: warning: the audit log was not pruned: {exc}", file=sys.stderr)
            return
        if removed:
            print(f"audit log: {removed} entries past the retention removed", file=sys.stderr)
