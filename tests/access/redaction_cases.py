"""Hard cases for redaction: personal values as they hide in real dumps, and numbers that are
not personal and must stay.

Each `Case` is one text (a document's text, its pages, a metadata value, a file name, a table
cell, a CSV file), the personal values it holds (`Secret`: what a reader would still read if
the mask missed it) and where it is. The families: formats, separators and typography,
URL-encoding, HTML references, quoted-printable, OCR noise (numbers glued to words), line
breaks, page breaks with their footers and headers; e-mail addresses written out, obfuscated,
encoded and split; SSNs, IP addresses, dates of birth and street addresses in the same ways.
The values are fictitious (555-01xx numbers, example.org addresses, SSNs of the kind used in
advertising).

A secret is looked for in the masked output *as a reader reads it*, decoded by this module's
own simple means (percent-decoding with and without "+" as a space, HTML references, NFKC,
quoted-printable, invisible characters removed, O and l next to a digit read as 0 and 1),
never by the code under test: a phone
number, an SSN, a date of birth or an IPv4 address by its digits alone in the digits of the
whole output (its last seven digits too, for a phone number: a masked area code with the
number left is a leak), an e-mail address by its local part, an IPv6 or street address by its
words in the lower-cased text.

Run as a script to print recall and false positives by family:
``PYTHONPATH=src python tests/access/redaction_cases.py``.
"""

from __future__ import annotations

import html
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, unquote_plus


@dataclass(frozen=True)
class Secret:
    kind: str    # digits | word
    needle: str  # digits of the value, or lower-case words


@dataclass(frozen=True)
class Case:
    family: str
    where: str               # text | pages | metadata | name | cell | csv
    value: Any               # str; list[str] of pages; a dict; (column, text) for a cell
    secrets: tuple[Secret, ...]
    keep: tuple[str, ...] = field(default=())  # what must still be read after masking


def phone(number: str) -> tuple[Secret, ...]:
    digits = re.sub(r"[^0-9]", "", number)
    return (Secret("digits", digits), Secret("digits", digits[-7:]))


def digits(value: str) -> tuple[Secret, ...]:
    return (Secret("digits", re.sub(r"[^0-9]", "", value)),)


def words(value: str) -> tuple[Secret, ...]:
    return (Secret("word", value.lower()),)


# -- phone numbers -------------------------------------------------------------------------------
NUMBERS = [("602", "555", "0143"), ("415", "555", "0162"), ("212", "555", "0183"),
           ("312", "555", "0107"), ("503", "555", "0128"), ("713", "555", "0199")]


def _n(i: int) -> tuple[str, str, str]:
    return NUMBERS[i % len(NUMBERS)]


FORMATS = [
    "({a}) {x}-{l}", "{a}-{x}-{l}", "{a}.{x}.{l}", "{a} {x} {l}", "+1 {a} {x} {l}",
    "+1-{a}-{x}-{l}", "1-{a}-{x}-{l}", "1 ({a}) {x}-{l}", "({a}){x}-{l}", "{a}/{x}-{l}",
    "+1.{a}.{x}.{l}", "{a}-{x}-{l} x204", "{a}.{x}.{l} ext. 12", "+1{a}{x}{l}",
    "tel: {a}{x}{l}", "{a}{x}{l} (cell)", "Fax#{a}{x}{l}", "( {a} ) {x}-{l}",
    "+1 ({a}) {x}-{l}", "{a} {x}-{l}", "Phone no. {a}{x}{l}", "1.{a}.{x}.{l}",
    "{a} - {x} - {l}", "({a}) {x} -{l}", "[{a}] {x}-{l}", "({a}) {x}{l}",
    "+1 ({a}) {x} - {l}", "Tel.: +1 ({a}) {x}-{l}",
]
TYPOGRAPHY = [  # separators a keyboard does not type, as word processors and PDFs write them
    "({a}) {x}\u2011{l}", "{a}\u2013{x}\u2013{l}", "{a}\u2014{x}\u2014{l}",
    "{a}\u2212{x}\u2212{l}", "{a}\u2012{x}\u2012{l}", "({a})\u00a0{x}-{l}",
    "{a}\u2009{x}\u2009{l}", "({a})\u202f{x}-{l}", "({a}) {x}-\u200b{l}",
    "{a}-{x}-\u00ad{l}", "\uff08{a}\uff09{x}\uff0d{l}", "{a}\u2010{x}\u2010{l}",
    "{fa}-{fx}-{fl}", "({a})\u2060{x}-{l}", "{a}\ufe63{x}\ufe63{l}",
]
URL_ENCODED = [
    "%28{a}%29+{x}-{l}", "%28{a}%29%20{x}-{l}", "%2B1%20{a}%20{x}%20{l}", "{a}%2D{x}%2D{l}",
    "tel%3A%2B1{a}{x}{l}", "%2528{a}%2529%2520{x}-{l}", "phone=%28{a}%29+{x}+{l}",
    "{a}%E2%80%91{x}%E2%80%91{l}", "%28{a}%29%C2%A0{x}-{l}", "%28%20{a}%20%29+{x}%2E{l}",
]
HTML_ESCAPED = [
    "&#40;{a}&#41; {x}&#8209;{l}", "&#x28;{a}&#x29;&nbsp;{x}-{l}", "({a})&nbsp;{x}&ndash;{l}",
    "{a}&#45;{x}&#45;{l}", "&amp;#40;{a}&amp;#41; {x}-{l}", "{a}&#x2011;{x}&#x2011;{l}",
    "&lpar;{a}&rpar; {x}&hyphen;{l}", "{a}&period;{x}&period;{l}", "&#043;1&#032;{a} {x} {l}",
]
QUOTED_PRINTABLE = [
    "Please call me at ({a}) {x}-=\n{l} tomorrow.",
    "Call =28{a}=29=20{x}-{l} today.=\nThanks =3D)",
    "My number is ({a}) =\n{x}-{l}, any time.",
    "Tel=3A {a}=2E{x}=2E{l}",
    "Call ({a}) {x}=E2=80=91{l} or write.=3D",
]
OCR_GLUED = [
    "call ({a}) {x}-{l}.0r write", "tel{x}-{l}", "Phone:({a}){x}-{l}", "TEL:{a}-{x}-{l}",
    "Ph{a}.{x}.{l}", "cell{a}{x}{l}", "({a}){x}-{l}Fax", "Call{a}-{x}-{l}now",
    "Ph.({a}){x}-{l}.Email me", "tel.{x}-{l}", "Tel:{x}.{l}", "at({a}){x}-{l}or",
    "T: {x}-{l}", "Phone #{x} {l}", "{a}-{x}-{l}l", "({a}) {x}-{l}.O",
    "phone_{a}{x}{l}", "Mobile{x}-{l},", "({a}) {x}-{l} or {x}-{l2}",
    "{a}-{x}-{ol}", "({oa}) {x}-{l}", "{a}.{x}.{ol} (fax)",
]
LINE_BREAKS = [
    "({a})\n{x}-{l}", "{a}-\n{x}-{l}", "{a}-{x}-\n{l}", "{a}-{x}\n{l}", "{a}.{x}.\n{l}",
    "Phone: {a}\n{x}-{l}", "({a})\r\n{x}-{l}", "({a}) \n    {x}-{l}", "Tel +1 {a}\n{x} {l}",
    "{a}.\n{x}.{l}", "({a}) {x}\n{l}", "Cell: {a} {x}\n{l}",
]


def _fill(template: str, i: int) -> tuple[str, str]:
    a, x, line = _n(i)
    full = str.maketrans("0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18"
                         "\uff19")
    text = template.format(a=a, x=x, l=line, l2=str(int(line) + 1).zfill(4),
                           fa=a.translate(full), fx=x.translate(full), fl=line.translate(full),
                           oa=_ocr(a), ol=_ocr(line))
    has_area = any(f"{{{name}}}" in template for name in ("a", "fa", "oa"))
    return text, f"{a}{x}{line}" if has_area else f"{x}{line}"


def _ocr(number: str) -> str:
    """A number as OCR misreads it: its first 0 an O, or else its first 1 an l."""
    return number.replace("0", "O", 1) if "0" in number else number.replace("1", "l", 1)


def _phone_cases() -> list[Case]:
    cases = []
    families = [("format", FORMATS), ("typography", TYPOGRAPHY), ("url", URL_ENCODED),
                ("html", HTML_ESCAPED), ("quoted-printable", QUOTED_PRINTABLE),
                ("ocr", OCR_GLUED), ("line-break", LINE_BREAKS)]
    for family, templates in families:
        for i, template in enumerate(templates):
            number, value = _fill(template, i)
            secrets = phone(value)
            if "{l2}" in template:
                secrets += phone(value[-7:-4] + str(int(value[-4:]) + 1).zfill(4))
            cases.append(Case(family, "text", f"For the grant, {number} before Friday.",
                              secrets, keep=("For the grant,", "before Friday.")))
    # The same encodings where they are met in a dump: metadata, file names, table cells.
    for i, template in enumerate(URL_ENCODED[:6] + HTML_ESCAPED[:4] + TYPOGRAPHY[:3]
                                 + OCR_GLUED[:3]):
        number, value = _fill(template, i + 2)
        family = "encoded " + ("url" if "%" in template else "html" if "&" in template
                               else "typography" if template in TYPOGRAPHY else "ocr")
        cases += [
            Case(family, "metadata",
                 {"subject": f"Survey answer {number}", "keywords": ["grant", number],
                  "headers": {"X-Form": f"q1=yes&phone={number}"}}, phone(value)),
            Case(family, "name", f"survey/answers/{number}.txt", phone(value),
                 keep=("survey/answers/", ".txt")),
            Case(family, "cell", ("Notes", f"called back on {number}"), phone(value),
                 keep=("called back on",)),
        ]
    return cases


# -- page breaks and footers ---------------------------------------------------------------------
BODY = "The program office answers questions about the grant during business hours."


def _pages(first_end: str, second_start: str, footer: str = "", header: str = "",
           pages: int = 2) -> list[str]:
    """A document of `pages` pages whose first page ends with `first_end` and whose second
    starts with `second_start`, each page with `footer` at its bottom and `header` at its
    top ({n} and {m}: the page number and count)."""
    out = []
    for n in range(1, pages + 1):
        lines = [header.format(n=n, m=pages)] if header else []
        if n == 2:
            lines.append(second_start)
        lines += [BODY] * 3
        if n == 1:
            lines.append(first_end)
        if footer:
            lines.append(footer.format(n=n, m=pages))
        out.append("\n".join(lines) + "\n")
    return [page.rstrip("\n") if i == len(out) - 1 else page for i, page in enumerate(out)]


def _side(text: str, at: int) -> tuple[Secret, ...]:
    """The secret of one side of a page break: its digits, or, when they are too few to be
    told from page numbers in the digits of the output, its last (first) token with digits."""
    if len(re.sub(r"[^0-9]", "", text)) >= 5:
        return digits(text)
    return words(re.findall(r"\S*[0-9]\S*", text)[at])


FOOTERS = [("Page {n} of {m}", ""), ("- {n} -", ""), ("{n}", ""), ("Page {n}", ""),
           ("p. {n}/{m}", ""), ("CONFIDENTIAL \u2013 Internal Use Only", ""),
           ("", "Annual Report 2020"), ("Page {n} of {m}", "Grants Office \u2013 FY2021"),
           ("Printed 03/02/2021 \u2013 Page {n}", ""), ("\n\nPage {n} of {m}\n", ""),
           ("", ""), ("www.example.org | Page {n}", "")]


def _page_cases() -> list[Case]:
    cases = []
    # (end of page 1, start of page 2). The secrets are each side's digits: a page number
    # between them in the digit stream would hide the whole number from the check.
    splits = [
        ("call the program office at ({a})", "{x}-{l} during business hours."),
        ("call the program office at {a}-", "{x}-{l} during business hours."),
        ("call the program office at {a}-{x}-", "{l} during business hours."),
        ("call the program office at {a}-{x}", "{l} during business hours."),
        ("call the program office, phone {a}", "{x}-{l}, during business hours."),
    ]
    for i, (footer, header) in enumerate(FOOTERS):
        for j, (end, start) in enumerate(splits):
            if (i + j) % 2 and j:  # every footer with the plain split, others in turn
                continue
            a, x, line = _n(i + j)
            first, second = end.format(a=a, x=x, l=line), start.format(a=a, x=x, l=line)
            pages = 3 if header or "Printed" in footer or "CONFIDENTIAL" in footer else 2
            cases.append(Case("page-break", "pages",
                              _pages(first, second, footer, header, pages),
                              _side(first, -1) + _side(second, 0), keep=(BODY,)))
    # The issue's own case, as the document's text (pages joined as Trawl joins them).
    cases.append(Case("page-break", "text",
                      "For questions call the program office at (602)\nPage 1 of 8\n\f"
                      "555-0143 during business hours.", words("(602)") + digits("555-0143"),
                      keep=("Page 1 of 8", "during business hours")))
    cases += [
        Case("page-break", "pages", _pages("Write to jane.doe@", "example.org for a copy.",
                                           "Page {n} of {m}"), words("jane.doe")),
        Case("page-break", "pages", _pages("Write to m.kowalski@exam-", "ple.org for a copy.",
                                           "- {n} -"), words("m.kowalski")),
        Case("page-break", "pages", _pages("Applicant SSN 219-09-", "9999 (verified).",
                                           "Page {n} of {m}"), digits("21909") + words("9999 (")),
        Case("page-break", "pages", _pages("Reached at (503) 555-0128, fax (503)",
                                           "555-0129.", "Page {n}", "Case file", 3),
             phone("5035550128") + words("fax (503)") + digits("5550129")),
        Case("page-break", "pages", ["Contact: Tel (713) 555-0199\nPage 1 of 2\n",
                                     "Contact: Tel (713) 555-0199\nThe rest.\nPage 2 of 2"],
             phone("7135550199")),  # a phone number in the footer itself
    ]
    return cases


# -- e-mail addresses ----------------------------------------------------------------------------
EMAILS = [
    ("text", "Write to jane.doe@example.org today.", "jane.doe"),
    ("text", "Write to r.okafor%40example.org today.", "r.okafor"),
    ("text", "mailto:t.nguyen%2Btips%40example.org", "t.nguyen"),
    ("text", "Write to l.moreau&#64;example.org today.", "l.moreau"),
    ("text", "Write to p.silva&commat;example.org today.", "p.silva"),
    ("text", "Write to a.haddad&#x40;example&#46;org today.", "a.haddad"),
    ("text", "reach me: jdoe1971 [at] example [dot] org", "jdoe1971"),
    ("text", "reach me: kfischer(at)example(dot)org", "kfischer"),
    ("text", "reach me: bmensah{at}example{dot}org", "bmensah"),
    ("text", "reach me: sorensen.k at example dot org", "sorensen.k"),
    ("text", "REACH ME: OYELARAN AT EXAMPLE DOT COM", "oyelaran"),
    ("text", "reach me: dvolkov <at> example <dot> net", "dvolkov"),
    ("text", "reach me: c.ibarra [at] mail.example.org", "c.ibarra"),
    ("text", "reach me: h.tanaka (at) example (dot) co (dot) uk", "h.tanaka"),
    ("text", "Write to n.achebe @ example.org today.", "n.achebe"),
    ("text", "Write to f.rossi@\nexample.org today.", "f.rossi"),
    ("text", "Write to g.petrov\n@example.org today.", "g.petrov"),
    ("text", "Write to e.larsen@exam-\nple.org today.", "e.larsen"),
    ("text", "Write to w.abebe@example.\norg today.", "w.abebe"),
    ("text", "Write to y.cohen\uff20example.org today.", "y.cohen"),
    ("text", "Write to i.novak\ufe6bexample.org today.", "i.novak"),
    ("text", "Write to v.duarte@exa\u200bmple.org today.", "v.duarte"),
    ("text", "Write to q.ferreira=40example.org today.=3D", "q.ferreira"),
    ("text", "Write to s.mbeki@exam=\nple.org today.", "s.mbeki"),
    ("text", "Write to o.lindqvist%2540example.org today.", "o.lindqvist"),
    ("text", "Write to u.kaur&amp;#64;example.org today.", "u.kaur"),
    ("text", "From: \"Reyes, Ana\" <ana.reyes@example.org>", "ana.reyes"),
    ("text", "Write to zhou.wei@example.org.\nThe office replies.", "zhou.wei"),
    ("metadata", {"from": "Jo Park <jo.park%40example.org>"}, "jo.park"),
    ("metadata", {"reply": "mateo.gil [at] example [dot] org"}, "mateo.gil"),
    ("metadata", {"url": "https://survey.example.org/r?email=kim.ly%40example.org&x=1"},
     "kim.ly"),
    ("name", "mail/alma.berg%40example.org/inbox.mbox", "alma.berg"),
    ("name", "contacts/ravi.iyer@example.org.vcf", "ravi.iyer"),
    ("cell", ("Comments", "sent to e.osei&#64;example.org"), "e.osei"),
    ("cell", ("Comments", "sent to lena.vogt [at] example [dot] org"), "lena.vogt"),
]


def _email_cases() -> list[Case]:
    return [Case("email", where, value, words(local)) for where, value, local in EMAILS]


# -- SSNs, IP addresses, dates of birth, street addresses ----------------------------------------
OTHERS = [
    ("ssn", "text", "SSN 219-09-9999 on file.", digits("219099999")),
    ("ssn", "text", "SSN: 219 09 9999 on file.", digits("219099999")),
    ("ssn", "text", "Social Security No. 078051120 on file.", digits("078051120")),
    ("ssn", "text", "SSN219-09-9999 on file.", digits("219099999")),
    ("ssn", "text", "SSN 219&#8209;09&#8209;9999 on file.", digits("219099999")),
    ("ssn", "text", "SSN 219%2D09%2D9999 on file.", digits("219099999")),
    ("ssn", "text", "SSN 219-09-\n9999 on file.", digits("219099999")),
    ("ssn", "text", "SSN 219\u201309\u20139999 on file.", digits("219099999")),
    ("ssn", "text", "ssn#078-05-1120.Thanks", digits("078051120")),
    ("ssn", "name", "hr/applicant_219-09-9999.pdf", digits("219099999")),
    ("ssn", "cell", ("Notes", "ssn 219\u201109\u20119999"), digits("219099999")),
    ("ssn", "metadata", {"comment": "SSN%3A%20078-05-1120"}, digits("078051120")),
    ("ip", "text", "Logged from 203.0.113.77 at noon.", digits("203.0.113.77")),
    ("ip", "text", "Logged from ip203.0.113.77 at noon.", digits("203.0.113.77")),
    ("ip", "text", "Logged from 203%2E0%2E113%2E77 at noon.", digits("203.0.113.77")),
    ("ip", "text", "Logged from 203&#46;0&#46;113&#46;77 at noon.", digits("203.0.113.77")),
    ("ip", "text", "Logged from 2001:db8::8a2e:370:7334 at noon.", words("8a2e:370:7334")),
    ("ip", "text", "Logged from 2001%3Adb8%3A%3A8a2e%3A370%3A7334.", words("8a2e:370:7334")),
    ("ip", "metadata", {"headers": {"X-Originating-IP": "[198.51.100.23]"}},
     digits("198.51.100.23")),
    ("ip", "name", "logs/host_198.51.100.23.log", digits("198.51.100.23")),
    ("dob", "text", "DOB: 03/04/1971, seen today.", digits("03041971")),
    ("dob", "text", "DOB%3A%2003%2F04%2F1971", digits("03041971")),
    ("dob", "text", "D.O.B.&nbsp;03/04/1971", digits("03041971")),
    ("dob", "text", "DOB:\n03/04/1971", digits("03041971")),
    ("dob", "text", "Date of birth: 1971\u201103\u201104", digits("19710304")),
    ("dob", "text", "born on 4&nbsp;March&nbsp;1971 in Oakland", digits("41971")),
    ("dob", "cell", ("Notes", "DOB 03\u201004\u20101971"), digits("03041971")),
    ("dob", "metadata", {"subject": "Re: DOB 1971-03-04"}, digits("19710304")),
    ("address", "text", "Home: 1234 Elm Street, Apt 5.", words("1234 elm")),
    ("address", "text", "Home: 1234&nbsp;Elm&nbsp;Street, Apt 5.", words("1234 elm")),
    ("address", "text", "Home: 1234%20Elm%20Street", words("1234 elm")),
    ("address", "text", "Home: 1234\u00a0Elm St.", words("1234 elm")),
    ("address", "cell", ("Notes", "lives at 77 Martin Luther King Jr Blvd"), words("77 martin")),
    ("address", "metadata", {"location": "P.O.&nbsp;Box 4471"}, words("box 4471")),
]


def _other_cases() -> list[Case]:
    return [Case(kind, where, value, secrets) for kind, where, value, secrets in OTHERS]


# -- CSV files read as documents -----------------------------------------------------------------
CSVS = [
    ('ID,Notes,Status\n1,"Call (602)\n555-0143 after 5",open\n2,none,closed\n',
     phone("6025550143")),
    ("ID,Notes,Status\n1,%28212%29+555-0183,open\n2,none,closed\n", phone("2125550183")),
    ("ID;Notes;Status\n1;tel555-0143;open\n2;none;closed\n", phone("5550143")),
    ("ID\tNotes\tStatus\n1\t(415) 555\u20110162\topen\n", phone("4155550162")),
    ('ID,Notes\n1,"jane.doe&#64;example.org"\n', words("jane.doe")),
    ("ID,Answer\n1,phone=%2B14155550162&zip=94103\n", phone("4155550162")),
]


def _csv_cases() -> list[Case]:
    return [Case("csv", "csv", text, secrets) for text, secrets in CSVS]


CASES: list[Case] = _phone_cases() + _page_cases() + _email_cases() + _other_cases() + \
    _csv_cases()


# -- what must stay ------------------------------------------------------------------------------
MUST_STAY: list[tuple[str, str]] = [  # (family, text)
    ("date", "Incident on 01/02/1980 at 10:30:00, reported 2020-12-31T23:59:59Z."),
    ("date", "Dated 12.03.2021, filed 2021-03-12, heard Jan 2, 2020."),
    ("date", "Period 1999-2004 and 2019\u20132020, fiscal year 2020/21."),
    ("date", "Printed 03/02/2021 \u2013 Page 2 of 8"),
    ("time", "Shift 9:00-17:00, break 12:30\u201313:00, log 23:59:59.999."),
    ("case number", "Case 2020-12345, case no. 80-10-011494, report #20-004513."),
    ("case number", "Docket CR-2019-004513 and file 2017-580344."),
    ("case number", "Invoice 555-0143 was paid."),
    ("case number", "Ticket #415-555 closed; ref 2021-555-01."),
    ("zip", "ZIP 94103, ZIP+4 94103-1234, PA 15049."),
    ("zip", "Mail to Oakland, CA 94612-1312 or Harwick, PA 15049"),
    ("money", "Budget $1,234,567.89 and 5,551,234,567 dollars; 4155550142 widgets."),
    ("money", "Grant of $415,555.01 and \u20ac 1.234.567,89 in 2020."),
    ("money", "Amount: 4,155,550,162 USD"),
    ("percent", "Growth of 45% (up 3.5%), 100% of 212 agencies."),
    ("percent", "Rates rose 12%28 per cent; see %20 in URLs"),
    ("version", "Version 2.7.18 of the tool; section 4.2.1; build 10.0.19041."),
    ("version", "Python 3.11.7, tantivy 0.27.0, v1.2.3-rc1."),
    ("standard", "ISBN 978-0-306-40615-7, ISSN 0317-8471, ISO 8601, RFC 2822."),
    ("standard", "Form 1040, Section 415.555, 26 U.S.C. 501(c)(3)."),
    ("count", "Population 8,336,817; 212 officers; 555 arrests; 1855 calls."),
    ("count", "Statistics: 426\n521\n1855\n2019"),
    ("count", "Total 312 455\n2018 report follows."),
    ("count", "Total: 426\nPage 1 of 8\n\f521\n1855 calls"),
    ("places", "Route 66, Interstate 405, Flight 555, Room 415, call 911."),
    ("places", "Hundred-block: 6200 BLOCK PRESTON HWY, LOUISVILLE 40219."),
    ("coordinates", "At 40.45255125, -79.99591 and 38.2527,-85.7585."),
    ("identifiers", "UUID 123e4567-e89b-12d3-a456-426614174000."),
    ("identifiers", "SHA-1 3f2a41555501620aa9c6f1e3b2d4c5a6b7c8d9e0."),
    ("identifiers", "Serial 123456789 without a label; badge 4471."),
    ("identifiers", "Invalid SSNs 000-12-3456, 666-12-3456, 900-12-3456, 123-00-4567."),
    ("identifiers", "Area code 123-456-7890 starts with 1; 555-123-4567 has exchange 123."),
    ("identifiers", "Account 0012-3456-7890 and routing 021000021."),
    ("identifiers", "Part no. 415-55-50162, lot 55-0143."),
    ("network", "Not IP: 256.1.1.1, 1.2.3 and the C++ std::vector, a::b."),
    ("network", "MAC 00:1A:2B:3C:4D:5E and port 8080, time 10:30:00."),
    ("network", "File 76936@20140224123907.mpg and Message-ID <1878.1075@thyme>."),
    ("network", "https://example.org/report?id=2020-12345&page=2&year=2020"),
    ("network", "https://example.org/search?q=grant+2020&sort=date"),
    ("html", "&copy; 2020 Acme &amp; Co. &mdash; 212 pages, &#8470; 555."),
    ("html", "Price &lt; $415 &amp;&amp; qty &gt; 555"),
    ("quoted-printable", "Total =3D 2020=\n and 555 units"),
    ("ocr", "H2O, CO2, COVID-19, 10-4, 1st and 2nd, F-35, B-52."),
    ("ocr", "Score 415+555=970 and 2+2=4."),
    ("email-like", "Look at example.com for details; meet at 5 dot the office."),
    ("email-like", "Price @ 3.50 each, 10 @ 2.00."),
    ("email-like", "Follow @example on social media, #grant2020."),
    ("typography", "Pages 415\u2013555 of the report, 2019\u20132021."),
    ("typography", "Temperature \u22125 to 30 degrees; \uff11\uff12\uff13 items."),
    ("names", "Born in Chicago; Adobe 2020-01-02; date 2020-01-02."),
    ("names", "Phone book of 2020 lists 555 entries."),
    ("page furniture", "The end of page one.\nPage 1 of 3\n\fAnnual Report 2020\nPage two."),
    ("page furniture", "Table: 2019\n- 1 -\n\f2020\n2021"),
    ("address-like", "Not an address: 3 people drive to 2 Main events; 12 apples."),
    ("address-like", "In 2019 Superior Court rulings, 40 cases."),
    ("phone-like", "Phone bill of $415.55 paid on 01/62."),
]


# -- scoring -------------------------------------------------------------------------------------
def as_read(text: str) -> list[str]:
    """The masked output decoded as a reader would read it: percent-decoded (with "+" as a
    space and as itself), HTML references, NFKC, quoted-printable, no invisible characters;
    and OCR's letters next to digits read as digits."""
    variants = []
    for plus in (unquote_plus, unquote):
        out = text
        for _ in range(3):
            out = html.unescape(plus(out))
        out = unicodedata.normalize("NFKC", out)
        out = re.sub(r"=\r?\n", "", out)
        out = re.sub(r"=([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), out)
        out = re.sub("[\u00ad\u200b-\u200f\u2060\ufeff]", "", out)
        variants.append(out)
    # OCR's letters for digits, next to a digit: 555-O162, (4l5)
    ocr = re.sub(r"(?<=[0-9])[Oo]|[Oo](?=[0-9])", "0", variants[0])
    variants.append(re.sub(r"(?<=[0-9])[lI]|[lI](?=[0-9])", "1", ocr))
    return variants


def leaked(secret: Secret, output: str) -> bool:
    for read in as_read(output):
        if secret.kind == "digits":
            if secret.needle in re.sub(r"[^0-9]", "", read):
                return True
        elif secret.needle in re.sub(r"\s+", " ", read.lower()).replace("-\n", ""):
            return True
    return False


def mask(case_where: str, value: Any, redactor: Any) -> str:
    """The case masked as Trawl masks what a public reader sees there."""
    from trawl.access.document_text import PAGE_BREAK, mask_document_text, mask_pages

    if case_where == "text":
        return mask_document_text(value, redactor, "text/plain", "text", "case.txt")
    if case_where == "pages":
        masked = mask_pages(value, redactor, "application/pdf", "pdf", "case.pdf")
        assert len(masked) == len(value), "the pages must stay the same pages"
        return PAGE_BREAK.join(masked)
    if case_where == "metadata":
        return json.dumps(redactor.metadata(value), ensure_ascii=False)
    if case_where == "name":
        return redactor.text(value)
    if case_where == "cell":
        column, text = value
        return str(redactor.cell(column, text))
    if case_where == "csv":
        return mask_document_text(value, redactor, "text/csv", "spreadsheet", "case.csv")
    raise ValueError(case_where)


def as_text(case_where: str, value: Any) -> str:
    if case_where == "pages":
        return "\n\f".join(value)
    if case_where == "metadata":
        return json.dumps(value, ensure_ascii=False)
    if case_where == "cell":
        return value[1]
    return value


def measure(redactor: Any = None) -> dict[str, Any]:
    """Recall over the secrets of CASES and false positives over MUST_STAY."""
    from trawl.access.redaction import Redactor

    redactor = redactor or Redactor()
    by_family: dict[str, Counter[str]] = {}
    missed, kept_lost, false_positives = [], [], []
    for case in CASES:
        out = mask(case.where, case.value, redactor)
        counts = by_family.setdefault(case.family, Counter())
        counts["cases"] += 1
        for secret in case.secrets:
            counts["secrets"] += 1
            if leaked(secret, out):
                counts["leaked"] += 1
                missed.append((case.family, case.where, as_text(case.where, case.value), out))
        kept_lost += [(case.family, k, out) for k in case.keep if k not in out]
    for family, text in MUST_STAY:
        out = mask_document_text_plain(text, redactor)
        if out != text:
            false_positives.append((family, text, out))
    secrets = sum(c["secrets"] for c in by_family.values())
    leaks = sum(c["leaked"] for c in by_family.values())
    return {"cases": len(CASES), "secrets": secrets, "leaked": leaks,
            "recall": (secrets - leaks) / secrets, "missed": missed, "keep_lost": kept_lost,
            "must_stay": len(MUST_STAY), "false_positives": false_positives,
            "by_family": {f: dict(c) for f, c in by_family.items()},
            "by_where": dict(Counter(c.where for c in CASES))}


def mask_document_text_plain(text: str, redactor: Any) -> str:
    from trawl.access.document_text import mask_document_text

    return mask_document_text(text, redactor, "text/plain", "text", "case.txt")


if __name__ == "__main__":
    result = measure()
    print(f"{result['cases']} cases ({result['by_where']}), {result['secrets']} secrets: "
          f"{result['leaked']} leaked, recall {result['recall']:.4f}")
    for family, counts in result["by_family"].items():
        print(f"  {family:<22} {counts}")
    print(f"{result['must_stay']} must-stay texts: {len(result['false_positives'])} masked")
    for item in result["missed"] + result["false_positives"] + result["keep_lost"]:
        print("  ", repr(item)[:300])
    sys.exit(1 if result["leaked"] or result["false_positives"] else 0)
