"""Quoted text: the spans of a message's body that quote an earlier message.

What counts as a quote (English and French mail clients, Outlook, Lotus Notes, webmail):

* lines starting with ``>`` (any depth), with the attribution line just before a block of
  them ("On Tue, 3 May 2001, Jane wrote:", "Le 3 mai 2001 à 10:00, Jane a écrit :", over
  two lines when the client wrapped it);
* a separator after which everything is the earlier message: "-----Original Message-----",
  "----- Message d'origine -----", "---------- Forwarded message ---------",
  "----- Forwarded by Jane/HOU/ECT on ... -----", "Début du message réexpédié :";
* a header block after which everything is the earlier message: Outlook's
  From:/Sent:/To:/Subject: (De :/Envoyé :/À :/Objet : in French), and Lotus Notes'
  ``Name <addr> on 05/14/2001 04:04 PM`` followed by To:/cc:/Subject: lines (the Enron mail).

A separator or header block quotes to the end of the text: replies are written on top of
what they quote (top posting), and a forwarded message is someone else's text. The result
is a list of (start, end) character offsets into the text, sorted and not overlapping, so the
pages fold them and the index keeps the rest (`unquoted`) in a field of its own: a phrase
then matches the message that first wrote it (`trawl search --no-quotes`).

Pure functions of a text; a few compiled expressions, one pass over the lines.
"""

from __future__ import annotations

import re

# A line that ends the message's own text: what follows is the earlier message.
_SEPARATOR = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:original message|message d'origine|message original|forwarded message"
    r"|message transféré|mensaje original|ursprüngliche nachricht)\s*-{2,}"
    r"|-{2,}\s*forwarded by .{1,120}-{2,}"
    r"|_{10,}\s*$"                                   # Outlook's rule above its header block
    r"|(?:begin forwarded message|début du message réexpédié)\s*:"
    r")", re.IGNORECASE)
# "On <date>, <name> wrote:" / "Le <date>, <name> a écrit :" (possibly wrapped: see below).
_ATTRIBUTION = re.compile(r"^\s*(?:on\s.{4,200}\swrote|le\s.{4,200}\sa\s+écrit)\s*:\s*$",
                          re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"^\s*(?:on|le)\s.{4,}$", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"(?:wrote|a\s+écrit)\s*:\s*$", re.IGNORECASE)
_QUOTED_LINE = re.compile(r"^\s*>")
# Outlook's header block: From: then, within a few lines, Sent:/Date: and To:/Subject:.
_FROM = re.compile(r"^\s*\*?(?:from|de|von)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER = re.compile(r"^\s*\*?(?:sent|date|envoyé|to|à|a|cc|subject|objet|gesendet|an|betreff)"
                     r"\s*:", re.IGNORECASE)
# Lotus Notes: `"Jane Doe" <jane@x.com> on 10/25/2001 04:04:08 PM` (or `Jane Doe/HOU/ECT@ECT`)
_NOTES = re.compile(r"\son\s+\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*[AP]M\s*$",
                    re.IGNORECASE)
_HEADER_LOOKAHEAD = 6


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the quoted parts of `text`, in order."""
    if not text:
        return []
    lines = text.splitlines(keepends=True)
    starts = _line_starts(lines)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _ends_own_text(lines, i):
            spans.append((starts[i], len(text)))
            break
        if _QUOTED_LINE.match(line) or (attribution := _attribution(lines, i)):
            start = i
            if not _QUOTED_LINE.match(line):
                i += attribution
            while i < len(lines) and (_QUOTED_LINE.match(lines[i]) or not lines[i].strip()
                                      and _quoted_follows(lines, i)):
                i += 1
            if i > start and any(_QUOTED_LINE.match(x) for x in lines[start:i]):
                spans.append((starts[start], starts[i] if i < len(lines) else len(text)))
                continue
            i = start
        i += 1
    return _merged(spans)


def unquoted(text: str, spans: list[tuple[int, int]] | None = None) -> str:
    """The text without its quoted spans: what the message's author wrote."""
    spans = quoted_spans(text) if spans is None else spans
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return "".join(out)


def _ends_own_text(lines: list[str], i: int) -> bool:
    """A separator, an Outlook header block or a Lotus Notes header starts at line i."""
    line = lines[i]
    if _SEPARATOR.match(line):
        return True
    ahead = lines[i + 1:i + 1 + _HEADER_LOOKAHEAD]
    if _FROM.match(line):
        return sum(1 for x in ahead if _HEADER.match(x)) >= 2
    if _NOTES.search(line.rstrip("\r\n")):
        return any(_HEADER.match(x) for x in ahead[:4])
    return False


def _attribution(lines: list[str], i: int) -> int:
    """How many lines an attribution ("On ... wrote:") at line i takes (0: none), when
    quoted lines follow it."""
    line = lines[i]
    taken = 0
    if _ATTRIBUTION.match(line):
        taken = 1
    elif (_ATTRIBUTION_START.match(line) and i + 1 < len(lines)
          and _ATTRIBUTION_END.search(lines[i + 1])
          and _ATTRIBUTION.match(line.rstrip("\r\n") + " " + lines[i + 1].strip())):
        taken = 2
    if taken and _quoted_follows(lines, i + taken - 1):
        return taken
    return 0


def _quoted_follows(lines: list[str], i: int) -> bool:
    """The next non-blank line after line i is quoted."""
    for line in lines[i + 1:i + 4]:
        if line.strip():
            return bool(_QUOTED_LINE.match(line))
    return False


def _line_starts(lines: list[str]) -> list[int]:
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line)
    return starts


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        elif end > start:
            out.append((start, end))
    return out
