"""Static files under names that carry a hash of their content (`trawl.3f9c0a1b2c3d.css`).

A browser may then keep them for a year without asking again (`immutable`), and still never
runs a stale script after an upgrade: a changed file has a new name, which the new pages
name. The hashes are read once per process from the package's own files (they do not change
while it runs). The plain names still answer (a script or a style sheet that names another
file, a bookmark), revalidated on each use (`no-cache`, with Starlette's ETag); a hashed name
whose hash is not the file's is a 404, as is anything outside the folder.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path, PurePosixPath

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
PREFIX = "/static/"
HASH_CHARS = 12
FOREVER = "public, max-age=31536000, immutable"


def hashed_name(name: str, digest: str) -> str:
    """`vendor/x.min.js` -> `vendor/x.min.<digest>.js`."""
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


class StaticAssets:
    """The static folder's files: each one's hashed URL, and which file a hashed name is."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.directory = directory
        self.urls: dict[str, str] = {}      # "trawl.css" -> "/static/trawl.<hash>.css"
        self.files: dict[str, str] = {}     # "trawl.<hash>.css" -> "trawl.css"
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            name = path.relative_to(directory).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_CHARS]
            self.urls[name] = PREFIX + hashed_name(name, digest)
            self.files[hashed_name(name, digest)] = name

    def url(self, name: str) -> str:
        """The URL of a static file, by its name in the folder; a name that is not there is
        an error at once (a page must not link to a missing script)."""
        try:
            return self.urls[name]
        except KeyError:
            raise LookupError(f"no static file {name!r} in {self.directory}") from None


@functools.cache
def package_assets() -> StaticAssets:
    """The assets of the installed package, hashed once per process."""
    return StaticAssets(STATIC_DIR)


class HashedStaticFiles(StaticFiles):
    """`/static/`: hashed names cached for good, plain names revalidated."""

    def __init__(self, assets: StaticAssets) -> None:
        super().__init__(directory=assets.directory)
        self.assets = assets

    async def get_response(self, path: str, scope: Scope) -> Response:
        name = self.assets.files.get(PurePosixPath(path).as_posix())
        if name is not None:
            response = await super().get_response(name, scope)
            response.headers["cache-control"] = FOREVER
            return response
        response = await super().get_response(path, scope)
        response.headers["cache-control"] = "no-cache"
        return response
