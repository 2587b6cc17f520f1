"""Reading from a search: a document opened from a result knows the search it came from.

A result's link carries the search's own parameters (web/params.py: query, filters, sort,
collapsing; not its paging) and the result's place in it (`hit`, from 0). The document page
then runs that search again around the place, through the caller's scoped archive, for the
previous and the next result: one search of three hits, no state kept on the server, and a
link that still works when shared (it is only a search). The query's words are marked in
the text by web/highlight.py; on a PDF's page image, `/documents/{id}/pages/{n}/marks`
gives the boxes of the words that match, from `pdftotext -bbox` (a subprocess with a time
limit, as the page images are rendered), for static/reader.js to draw over the image.
Keys: j / k next and previous result, n / p next and previous match in the text.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from trawl.errors import NotFound
from trawl.index.base import IndexHit, QueryError
from trawl.web.auth import reader
from trawl.web.files import pdf_source
from trawl.web.highlight import fold, query_patterns
from trawl.web.params import MAX_OFFSET, SearchParams, parse_search_params
from trawl.web.previews import PreviewError, Previews

router = APIRouter()
POSITION = "hit"
# The document page's own parameters, which are not the search's.
OWN = {"page", POSITION, "lang"}
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                   r"([^<]*)</word>")
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')


def search_pairs(params: SearchParams) -> list[tuple[str, str]]:
    """The search as a result's link carries it: everything but its paging."""
    return [(k, v) for k, v in params.pairs(page=False) if k != "limit"]


def result_url(hit: IndexHit, params: SearchParams, position: int) -> str:
    """A result's document page, on its best page, knowing its search and place in it."""
    pairs = search_pairs(params)
    if hit.page:
        pairs.append(("page", str(hit.page)))
    pairs.append((POSITION, str(position)))
    anchor = f"#page-{hit.page}" if hit.page else ""
    return f"/documents/{quote(hit.id, safe='')}?{urlencode(pairs)}{anchor}"


def reading(request: Request, doc_id: str) -> dict[str, Any] | None:
    """Where this document is in the search it was opened from, with the links to the
    results on either side; None when it was not opened from a search (or the search
    cannot be run again: the page then shows the document alone)."""
    raw = request.query_params
    place = raw.get(POSITION, "")
    if not place.isascii() or not place.isdigit() or int(place) > MAX_OFFSET:
        return None
    position = int(place)
    try:
        params = parse_search_params(QueryParams(
            [(k, v) for k, v in raw.multi_items() if k not in OWN]))
    except QueryError:
        return None
    if params.empty or params.rows:
        return None
    start = max(position - 1, 0)
    around = replace(params, offset=start, limit=3)
    try:
        result = reader(request).search(replace(around.to_query((), collapse=True), facets=()))
    except (QueryError, NotFound):  # a dataset filter the caller cannot read: no neighbours
        return None
    hits = result.hits
    mine = position - start
    prev_hit = hits[mine - 1] if mine >= 1 and len(hits) >= mine else None
    next_hit = hits[mine + 1] if len(hits) > mine + 1 else None
    back = replace(params, offset=(position // params.limit) * params.limit)
    return {
        "position": position + 1,
        "total": result.total,
        "found": len(hits) > mine and hits[mine].id == doc_id,
        "prev_url": result_url(prev_hit, params, position - 1) if prev_hit else None,
        "next_url": result_url(next_hit, params, position + 1) if next_hit else None,
        "results_url": back.url(),
    }


@router.get("/documents/{doc_id}/pages/{page}/marks", tags=["files"],
            summary="Where the query's words are on a PDF page: boxes as fractions of it")
def page_marks(request: Request, doc_id: str, page: int,
               q: Annotated[str, Query(max_length=2000)] = "") -> JSONResponse:
    _view, source = pdf_source(request, doc_id, page)
    previews: Previews = request.app.state.previews
    try:
        layout = previews.word_boxes(source, page)
    except PreviewError as exc:
        raise HTTPException(404, f"no word positions: {exc}") from None
    return JSONResponse({"page": page, "marks": matching_boxes(layout, query_patterns(q))},
                        headers={"Cache-Control": "private, max-age=3600"})


def matching_boxes(layout: str, patterns: list[str]) -> list[list[float]]:
    """The boxes (x, y, width, height as fractions of the page) of the words of a page's
    `pdftotext -bbox` layout that a match of `patterns` covers (phrases span words: the
    words are joined by spaces and matched as the text is, by web/highlight.py's rules)."""
    size = _PAGE.search(layout)
    if not patterns or size is None:
        return []
    width, height = float(size.group(1)) or 1.0, float(size.group(2)) or 1.0
    words = [(tuple(float(v) for v in m.groups()[:4]), html.unescape(m.group(5)))
             for m in _WORD.finditer(layout)]
    line, spans, at = [], [], 0
    for _box, word in words:
        spans.append((at, at + len(word)))
        line.append(word)
        at += len(word) + 1
    folded = fold(" ".join(line))
    regex = re.compile("|".join(f"(?:{p})" for p in patterns))
    hits = [m.span() for m in regex.finditer(folded) if m.end() > m.start()]
    out = []
    for (box, _word), (start, end) in zip(words, spans, strict=True):
        if any(s < end and start < e for s, e in hits):
            x0, y0, x1, y1 = box
            out.append([round(x0 / width, 5), round(y0 / height, 5),
                        round((x1 - x0) / width, 5), round((y1 - y0) / height, 5)])
    return out
