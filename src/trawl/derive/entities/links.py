"""URLs, their domains, bare domains, and social-media accounts (profile URLs, @handles).

* A URL starts with ``http://``, ``https://``, ``ftp://`` or ``www.`` and runs to the first
  space, quote or bracket; the sentence's trailing punctuation is not part of it (nor a
  closing parenthesis it does not open). Its key drops the scheme, a leading ``www.``, the
  fragment and a trailing ``/``, and lower-cases the host: ``https://www.Example.org/a/``
  and ``http://example.org/a#top`` are one URL, ``example.org/a``. Each URL also gives a
  ``domain`` mention, its host (without ``www.``), over the host's characters.
* A bare domain (``secure-login.example.com`` in a sentence) is a domain when its last label
  is a common top-level domain (`TLDS`): a short list on purpose, since ``.zip``, ``.md``,
  ``.py`` and ``.me`` are TLDs too and mostly file names. Domains inside an e-mail address
  or a URL are not taken again.
* A social account: a profile URL (twitter.com/x, x.com/x, facebook.com/x, instagram.com/x,
  tiktok.com/@x, youtube.com/@x, t.me/x ...), or an ``@handle`` only next to its platform's
  name ("Twitter: @x", "IG @x", "@x on Instagram"): an @word alone is as often a mention in
  a chat, a decorator or an e-mail's tail. Key ``platform:name``, lower-cased
  (``twitter:jdoe``); X is Twitter.

Speed: URLs and domains are found from their literal anchors ("://", "www.", "." + a TLD),
handles from each "@": the engine skips to those in C, and Python only sees the few places
where something starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

from trawl.derive.entities.model import Found

TLDS = ("com", "org", "net", "gov", "edu", "mil", "int", "info", "biz", "io", "us", "uk",
        "ca", "au", "nz", "ie", "de", "fr", "be", "nl", "ch", "at", "es", "it", "pt", "se",
        "dk", "fi", "pl", "cz", "ru", "ua", "cn", "jp", "kr", "br", "mx", "ar", "za", "eu")

_URL = re.compile(
    r"(?<![\w.@\-/])(?:(?i:https?|ftp)://|(?i:www)\.)[^\s<>\"'`{}|\\^\[\]\x00]{1,2000}")
_TRAILING = ".,;:!?*'\"’”)]}>"
_HOST = re.compile(r"(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24}")
# .me and .dog only for t.me, telegram.me and telegram.dog (read.me is a file).
_PLATFORM_ONLY_TLDS = ("me", "dog")
_BARE_DOMAIN = re.compile(
    r"\.((?i:" + "|".join(TLDS + _PLATFORM_ONLY_TLDS) + r"))(?![\w\-]|\.[^\W_])")
_URL_TAIL = re.compile(r"[^\s<>\"'`{}|\\^\[\]\x00]{1,2000}")
_LABELS_REVERSED = re.compile(r"(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.?){1,10}")

# Social platforms: hosts, the words that name them next to an @handle, and what a valid
# name is on each.
_PLATFORM_HOSTS = {
    "twitter.com": "twitter", "mobile.twitter.com": "twitter", "x.com": "twitter",
    "facebook.com": "facebook", "m.facebook.com": "facebook", "fb.com": "facebook",
    "web.facebook.com": "facebook", "instagram.com": "instagram", "tiktok.com": "tiktok",
    "m.tiktok.com": "tiktok", "youtube.com": "youtube", "m.youtube.com": "youtube",
    "t.me": "telegram", "telegram.me": "telegram", "telegram.dog": "telegram",
}
_PLATFORM_WORDS = {
    "twitter": "twitter", "x": "twitter", "instagram": "instagram", "insta": "instagram",
    "ig": "instagram", "facebook": "facebook", "fb": "facebook", "tiktok": "tiktok",
    "tik tok": "tiktok", "youtube": "youtube", "yt": "youtube", "telegram": "telegram",
    "tg": "telegram",
}
_NAME = {
    "twitter": re.compile(r"[A-Za-z0-9_]{1,15}"),
    "instagram": re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?"),
    "tiktok": re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,22}[A-Za-z0-9_])?"),
    "facebook": re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,48}[A-Za-z0-9])?"),
    "youtube": re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,28}[A-Za-z0-9_])?"),
    "telegram": re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}"),
}
# First path segments that are pages of the site, not accounts.
_RESERVED = {
    "twitter": {"home", "search", "hashtag", "i", "intent", "share", "explore", "settings",
                "notifications", "messages", "login", "signup", "tos", "privacy", "about",
                "help", "status", "statuses", "compose", "account"},
    "facebook": {"pages", "groups", "events", "watch", "share", "sharer", "sharer.php",
                 "photo.php", "photo", "photos", "story.php", "permalink.php", "login",
                 "login.php", "home.php", "marketplace", "gaming", "help", "policies",
                 "privacy", "dialog", "plugins", "hashtag", "people", "profile.php", "l.php",
                 "reel", "video", "videos", "media", "business", "ads", "public"},
    "instagram": {"p", "reel", "reels", "tv", "explore", "stories", "accounts", "direct",
                  "about", "developer", "legal", "web"},
    "telegram": {"joinchat", "addstickers", "share", "proxy", "iv", "socks", "login"},
}
PLATFORMS: tuple[str, ...] = tuple(_NAME)
# First segments after which the second names the account.
_LISTED = {"youtube": ("c", "user", "channel"), "telegram": ("s",)}
_WORDS = "|".join(sorted((re.escape(w) for w in _PLATFORM_WORDS if w != "x"),
                         key=len, reverse=True))
# Before an @handle: the platform's name, an optional noun, a separator ("Twitter: @x",
# "IG @x", "Instagram account - @x"); "X" only with a colon ("X: @x").
_CONTEXT_BEFORE = re.compile(
    rf"(?i:\b(?P<word>{_WORDS})(?:[ \t]+(?:handle|account|user(?:name)?|profile|page|channel|"
    rf"id))?[ \t]*(?:[:\-\u2013=]|\bat\b)?[ \t]*\(?|\b(?P<x>X)[ \t]*:[ \t]*)\Z")
# After it: "@x on Instagram", "@x (Twitter)", "@x via TikTok".
_CONTEXT_AFTER = re.compile(rf"[ \t]*(?:\(|(?i:on|via|at)\b)[ \t]*(?P<word>(?i:{_WORDS}))\b")
_AT_NAME = re.compile(r"@([A-Za-z0-9_][A-Za-z0-9_.]{0,29})")


def find_urls(text: str) -> Iterator[Found]:
    """URLs, with a domain mention for each host and an account for each profile URL."""
    if "://" not in text and "www." not in text.lower():
        return
    for m in _URL.finditer(text):
        raw = _trim(m.group())
        split = _split(raw)
        if split is None:
            continue
        host, path, query = split
        if "://" not in raw[:8] and not _known_tld(host):
            continue  # "www.irs." at the end of a PDF line: no scheme, no known TLD
        start, end = m.start(), m.start() + len(raw)
        yield Found("url", _url_key(host, path, query), raw, start, end)
        name = host.split(":", 1)[0]  # the domain's characters: not the port
        at = raw.lower().find(name)
        if at >= 0:
            yield Found("domain", _domain_key(host), raw[at:at + len(name)], start + at,
                        start + at + len(name))
        account = profile_account(host, path, query)
        if account is not None:
            yield Found("handle", account, raw, start, end)


def _known_tld(host: str) -> bool:
    """A TLD of the list, or any two-letter country code."""
    tld = host.split(":", 1)[0].rsplit(".", 1)[-1]
    return tld in TLDS or len(tld) == 2


def _trim(raw: str) -> str:
    """A URL without the sentence's punctuation after it, nor a ")" it does not open."""
    while raw and raw[-1] in _TRAILING:
        if raw[-1] == ")" and raw.count("(") >= raw.count(")"):
            break
        raw = raw[:-1]
    return raw


def _split(raw: str) -> tuple[str, str, str] | None:
    """(host, path, query) of a URL, the host lower-cased without "www."; None if it has no
    host that looks like one."""
    text = raw if "://" in raw[:8] else "http://" + raw
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    if not _HOST.fullmatch(host):
        return None
    path = parts.path.rstrip("/")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    return host.lower(), path, parts.query


def _url_key(host: str, path: str, query: str) -> str:
    return _strip_www(host) + path + (f"?{query}" if query else "")


def _domain_key(host: str) -> str:
    return _strip_www(host.split(":", 1)[0])


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") and host.count(".") > 1 else host


def url_key(value: str) -> str | None:
    """The key of a URL given alone (a table cell, a value typed at the command line)."""
    split = _split(_trim(value.strip()))
    return _url_key(*split) if split else None


def profile_account(host: str, path: str, query: str) -> str | None:
    """`platform:name` of a profile URL, None for any other page."""
    platform = _PLATFORM_HOSTS.get(_strip_www(host))
    if platform is None:
        return None
    segments = [s for s in path.split("/") if s]
    if platform == "facebook" and segments[:1] == ["profile.php"]:
        ids = parse_qs(query).get("id", [])
        return f"facebook:{ids[0]}" if ids and ids[0].isdigit() else None
    if len(segments) >= 2 and segments[0] in _LISTED.get(platform, ()):
        name = segments[1]  # youtube.com/c/name, t.me/s/name
    elif platform in ("youtube", "tiktok"):
        if not segments or not segments[0].startswith("@"):
            return None
        name = segments[0][1:]
    elif segments:
        name = segments[0]
    else:
        return None
    if name.lower() in _RESERVED.get(platform, ()) or not _NAME[platform].fullmatch(name):
        return None
    return f"{platform}:{name.lower()}"


def find_bare_domains(text: str, taken: list[tuple[int, int]]) -> Iterator[Found]:
    """Domains written without a scheme; `taken`: spans of e-mails and URLs, left alone. A
    domain followed by a path (``twitter.com/jdoe``, ``t.me/channel``) is a URL too."""
    for m in _BARE_DOMAIN.finditer(text):
        labels = _LABELS_REVERSED.match(text[max(0, m.start() - 256):m.start()][::-1])
        if labels is None:
            continue
        start = m.start() - len(labels.group().rstrip("."))
        before = text[start - 1] if start else ""
        if start == m.start() or before.isalnum() or (before and before in "@./\\-_%"):
            continue  # part of an address, a path, a longer name, or URL-encoded (%40)
        if any(s <= start < e for s, e in taken):
            continue
        raw = text[start:m.end()]
        host = raw.lower()
        if m.group(1).lower() in _PLATFORM_ONLY_TLDS and host not in _PLATFORM_HOSTS:
            continue  # .me: read.me, not a site
        if not any(c.isalpha() for c in raw[:raw.rfind(".")]):
            continue  # 1.com, 3.2.de: numbers
        if text.startswith("/", m.end()) and (tail := _URL_TAIL.match(text, m.end())):
            yield from _url_at(text, start, m.end() + len(tail.group()))
            continue
        yield Found("domain", _domain_key(host), raw, start, m.end())


def _url_at(text: str, start: int, end: int) -> Iterator[Found]:
    """A URL written without its scheme (``example.org/page``), its domain, its account."""
    raw = _trim(text[start:end])
    split = _split(raw)
    if split is None:
        return
    host, path, query = split
    yield Found("url", _url_key(host, path, query), raw, start, start + len(raw))
    length = len(host.split(":", 1)[0])
    yield Found("domain", _domain_key(host), raw[:length], start, start + length)
    account = profile_account(host, path, query)
    if account is not None:
        yield Found("handle", account, raw, start, start + len(raw))


def find_handles(text: str) -> Iterator[Found]:
    """@handles next to the name of their platform."""
    if "@" not in text:
        return
    for m in _AT_NAME.finditer(text):
        at = m.start()
        if at and (text[at - 1].isalnum() or text[at - 1] in "._%+-/"):
            continue  # the tail of an e-mail address, a path
        name = m.group(1).rstrip(".")
        platform = _platform_before(text, at) or _platform_after(text, at + 1 + len(name))
        if platform is None or not _NAME[platform].fullmatch(name):
            continue
        end = at + 1 + len(name)
        if end < len(text) and text[end] == "@":
            continue  # name@... : an address
        yield Found("handle", f"{platform}:{name.lower()}", text[at:end], at, end)


def _platform_before(text: str, at: int) -> str | None:
    m = _CONTEXT_BEFORE.search(text[max(0, at - 40):at])
    if m is None:
        return None
    return "twitter" if m.group("x") else _PLATFORM_WORDS[m.group("word").lower()]


def _platform_after(text: str, end: int) -> str | None:
    m = _CONTEXT_AFTER.match(text, end, min(len(text), end + 30))
    return _PLATFORM_WORDS[m.group("word").lower()] if m else None


def handle_key(platform: str, value: str) -> str | None:
    """The key of a cell of a column named for one platform: "@jdoe", "jdoe" or a URL."""
    value = value.strip()
    if "/" in value:
        split = _split(_trim(value))
        return profile_account(*split) if split else None
    name = value.lstrip("@")
    pattern = _NAME.get(platform)
    if pattern is None or not pattern.fullmatch(name):
        return None
    return f"{platform}:{name.lower()}"
