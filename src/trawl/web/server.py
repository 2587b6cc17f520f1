"""`trawl serve`: one process, the web UI and the JSON API, on this machine only by default."""

from __future__ import annotations

import sys

import uvicorn

from trawl.storage.datadir import DataDir
from trawl.web.app import create_app

LOCAL_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
EVERY_INTERFACE = ("0.0.0.0", "::")  # noqa: S104 (to recognise them, not to bind)


def allowed_hosts(host: str) -> list[str]:
    """Host headers to accept: this machine's names, and the address served on."""
    if host in EVERY_INTERFACE:
        return ["*"]
    return sorted({*LOCAL_NAMES, host, f"[{host}]" if ":" in host else host})


def serve(datadir: DataDir, host: str = "127.0.0.1", port: int = 8080) -> None:
    app = create_app(datadir, allowed_hosts=allowed_hosts(host))
    shown = f"[{host}]" if ":" in host else host
    if host in EVERY_INTERFACE:
        print("trawl: warning: listening on every network interface; anyone who can reach "
              "this machine can read the archive", file=sys.stderr)
        shown = "127.0.0.1"
    print(f"Trawl is serving {datadir.root}\nOpen http://{shown}:{port}/ in your browser "
          "(Ctrl+C to stop).", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=False)
