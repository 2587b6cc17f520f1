"""The pattern recognisers of step 1 on real texts of ../shared/corpus and on the spellings
an investigator meets: what is one entity, what is not an entity at all, and where each
mention is."""

from __future__ import annotations

import re
import time

import pytest
from shared_corpus import corpus_path

from trawl.derive.entities.columns import column_kind
from trawl.derive.entities.extract import document_fields, document_mentions, row_mentions
from trawl.derive.entities.patterns import Recogniser, keys_of
from trawl.derive.entities.phones import PhoneFinder, check_region

US = Recogniser("US")


def _keys(text: str, kind: str, recogniser: Recogniser = US) -> list[str]:
    return [f.key for f in recogniser.find(text) if f.kind == kind]


def test_one_phone_in_five_spellings_is_one_key() -> None:
    text = ("Call (212) 555-0123, 212-555-0123, 212.555.0123, +1 212 555 0123 or "
            "1-212-555-0123 x42.")
    found = [f for f in US.find(text) if f.kind == "phone"]
    assert [f.text for f in found] == ["(212) 555-0123", "212-555-0123", "212.555.0123",
                                       "+1 212 555 0123", "1-212-555-0123 x42"]
    assert {f.key for f in found} == {"+12125550123"}  # the extension stays in the spelling


def test_a_phone_wrapped_at_the_end_of_a_pdf_line_is_still_one() -> None:
    found = [f for f in US.find("contact the desk at (415)\n555-0199 today") if
             f.kind == "phone"]
    assert [(f.key, f.text) for f in found] == [("+14155550199", "(415)\n555-0199")]


def test_numbers_shaped_otherwise_are_not_phones() -> None:
    text = ("Case 2019-123456 and 2019-12345, DOB 12/05/2019, SSN 078-05-1120, ZIP 15049-1234, "
            "$1,234,567.00, IP 192.0.2.12, GUID {8A3F1C2D-1234-5678-9ABC-DEF012345678}, "
            "CVE-2019-11510, 10:30:00, tracking SAR-2019-00012, the bare 2125550123, and "
            "an invalid (123) 456-7890.")
    assert _keys(text, "phone") == []


def test_phone_region_reads_national_numbers() -> None:
    fr = Recogniser("fr")
    assert fr.region == "FR"
    text = "Appelez le 01 23 45 67 89, le 06.12.34.56.78 ou +33 6 12 34 56 78 (pas le 05/12/2019)"
    assert _keys(text, "phone", fr) == ["+33123456789", "+33612345678", "+33612345678"]
    # A North American shape is still read as such in a French dataset.
    assert _keys("New York: (212) 555-0123", "phone", fr) == ["+12125550123"]
    assert _keys(text, "phone") == ["+33612345678"]  # in the US only the +33 one is a phone
    with pytest.raises(ValueError, match="unknown phone region"):
        check_region("XX")


def test_bare_digits_are_a_phone_only_in_a_phone_column() -> None:
    finder = PhoneFinder("US")
    assert finder.parse_cell("2125550123") == "+12125550123"
    assert finder.parse_cell("+1 2125550123") == "+12125550123"
    assert finder.parse_cell("12") is None
    assert finder.parse_cell("N/A") is None


def test_email_key_ignores_case_and_keeps_the_spelling() -> None:
    found = [f for f in US.find("Write to Jane.Doe@Example.ORG, mailto:jane.doe@example.org "
                                "or <JANE.DOE@EXAMPLE.ORG>.") if f.kind == "email"]
    assert {f.key for f in found} == {"jane.doe@example.org"}
    assert [f.text for f in found] == ["Jane.Doe@Example.ORG", "jane.doe@example.org",
                                       "JANE.DOE@EXAMPLE.ORG"]


def test_things_with_an_at_sign_that_are_not_addresses() -> None:
    text = ("76936@20140224123907.mpg, Jeff Dasovich/NA/Enron@Enron, user@localhost, "
            "@handle alone, a@b")
    assert _keys(text, "email") == []


def test_urls_are_one_whatever_the_scheme_www_case_fragment_or_slash() -> None:
    text = ("See https://www.Example.org/Reports/2020/ (or http://example.org/Reports/2020#top), "
            "and the archive at www.example.org/Reports/2020.")
    assert _keys(text, "url") == ["example.org/Reports/2020"] * 3
    assert set(_keys(text, "domain")) == {"example.org"}
    found = [f for f in US.find(text) if f.kind == "url"]
    assert found[0].text == "https://www.Example.org/Reports/2020/"  # no ")" nor ","
    ported = US.find("the wiki at http://Intranet.Example.org:8080/wiki.")
    assert [(f.kind, f.key, f.text) for f in ported] == [
        ("url", "intranet.example.org:8080/wiki", "http://Intranet.Example.org:8080/wiki"),
        ("domain", "intranet.example.org", "Intranet.Example.org")]


def test_bare_domains_but_not_file_names() -> None:
    text = ("Look-alike domains such as secure-login.example.com and portal.gov.uk were "
            "used; report.pdf, invoice.zip, README.md, read.me and setup.py are files.")
    assert _keys(text, "domain") == ["secure-login.example.com", "portal.gov.uk"]
    assert _keys(text, "url") == []
    # URL-encoded survey answers (a generated corpus's Survey.csv): no "40example.org".
    assert _keys("contact+intel50%40example.org.&How+did", "domain") == []


def test_handles_only_next_to_their_platform() -> None:
    text = ("Twitter: @JaneDoe. IG @jane.doe; the account @night_owl on TikTok; X: @elon; "
            "Telegram channel - @newsroom_x. But @someone alone, jane@x.org, and a meeting "
            "@ 5pm are not.")
    assert _keys(text, "handle") == ["twitter:janedoe", "instagram:jane.doe",
                                     "tiktok:night_owl", "twitter:elon", "telegram:newsroom_x"]


def test_profile_urls_are_accounts() -> None:
    text = ("https://twitter.com/JaneDoe/status/1234, x.com/jdoe, "
            "https://www.facebook.com/profile.php?id=100004, facebook.com/groups/abc, "
            "instagram.com/jane.doe/, https://www.tiktok.com/@night_owl, "
            "youtube.com/@SomeChannel, https://www.youtube.com/watch?v=xyz, t.me/s/newsroom_x")
    assert _keys(text, "handle") == ["twitter:janedoe", "twitter:jdoe", "facebook:100004",
                                     "instagram:jane.doe", "tiktok:night_owl",
                                     "youtube:somechannel", "telegram:newsroom_x"]


def test_ip_addresses_are_checked() -> None:
    text = ("from 192.0.2.12 and 10.0.0.256, version 1.2.3.4.5, 0.0.0.0, 2001:db8::1, "
            "2001:0db8:0000:0000:0000:ff00:0042:8329 at 10:30:00, fe80::1, std::vector")
    assert _keys(text, "ip") == ["192.0.2.12", "2001:db8::1", "2001:db8::ff00:42:8329"]


def test_what_a_reader_types_finds_its_key() -> None:
    assert ("phone", "+12125550123") in keys_of("212.555.0123")
    assert ("phone", "+12125550123") in keys_of("2125550123")
    assert ("email", "jane@example.org") in keys_of("Jane@Example.org")
    assert (None, "twitter:jdoe") in keys_of("twitter:jdoe")
    assert ("handle", "instagram:jdoe") in keys_of("@jdoe")
    assert ("url", "example.org/a") in keys_of("https://www.example.org/a/")


def test_every_mention_points_at_its_text_in_real_files() -> None:
    """On the Enron messages and the police CSVs: text[start:end] is the mention."""
    folders = [corpus_path("enron-sample", "maildir"), corpus_path("pdap-police")]
    seen = set()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and
                           p.suffix.lower() in ("", ".", ".csv")):
            text = path.read_text(errors="replace")
            for found in US.find(text):
                assert text[found.start:found.end] == found.text, (path, found)
                seen.add(found.kind)
    assert {"email", "phone", "url", "domain", "ip"} <= seen


def test_the_police_contact_list_gives_every_number() -> None:
    """Allegheny County's police departments: each row's contact numbers, fax included."""
    path = corpus_path("pdap-police", "PA", "allegheny_county", "departments_by_muni",
                       "sample_police_departments.csv")
    text = path.read_text()
    # 412-675 5009 too, and 412-672-9727 Ext. 234 with its extension
    written = re.findall(r"\b[2-9][0-9]{2}-[0-9]{3}[- ][0-9]{4}(?: Ext\. [0-9]+)?", text)
    found = [f.text for f in US.find(text) if f.kind == "phone"]
    assert len(written) > 100
    assert found == written


def test_a_message_is_read_with_its_headers() -> None:
    fields = document_fields("Re: FW: Wagon Crash",
                             {"from": "carson@us.ibm.com", "to": ["mike.carson@enron.com"],
                              "cc": ["kenrcars@aol.com"], "subject": "ignored: it is the title"})
    assert fields == {"title": "Re: FW: Wagon Crash", "from": "carson@us.ibm.com",
                      "to": "mike.carson@enron.com", "cc": "kenrcars@aol.com"}
    text = "Page one: call (212) 555-0123.\n\fPage two: jane@example.org"
    mentions = document_mentions(US, text, True, fields)
    where = [(m.kind, m.key, m.field, m.page, m.start) for m in mentions]
    assert where == [("email", "carson@us.ibm.com", "from", None, 0),
                     ("email", "mike.carson@enron.com", "to", None, 0),
                     ("email", "kenrcars@aol.com", "cc", None, 0),
                     ("phone", "+12125550123", None, 1, 15),
                     ("email", "jane@example.org", None, 2, 10)]
    assert mentions[3].value == "+1 212-555-0123"


@pytest.mark.parametrize(("name", "kind"), [
    ("EmailAddress", "email"), ("Email", "email"), ("SupervisorEmailAddress", "email"),
    ("EmailFrom", "email"), ("CreatorEmail", "email"), ("PhoneNumber", "phone"),
    ("WorkPhone", "phone"), ("MobilePhone", "phone"), ("CellPhone", "phone"),
    ("Fax", "phone"), ("ContactPhone", "phone"), ("URL", "url"), ("IPAddress", "ip"),
    ("Twitter", "twitter"), ("TwitterHandle", "twitter"), ("YoutubeLink", "youtube"),
    ("Email_2", "email"), ("EmailBody", None), ("EmailSubject", None),
    ("EmailFromName", "person"), ("LinkColor", None), ("FirstName", None),
    ("Description", None), ("FullName", "person"), ("fullname", "person"),
    ("SupervisorFullName", "person"), ("AgencyOrganization", "org"),
    ("AgencyOrganizationName", "org"), ("LeadAgency", "org"), ("AgencyType", None),
    ("City", "place"), ("Ethnicity", None), ("Capacity", None), ("Name", None)])
def test_blueleaks_columns_say_what_they_hold(name: str, kind: str | None) -> None:
    assert column_kind(name) == kind


def test_rows_are_read_in_blocks_and_each_mention_placed_in_its_cell() -> None:
    columns = [("EmailAddress", "email"), ("WorkPhone", "phone"), ("Twitter", "twitter"),
               ("EmailBody", None), ("Count", None)]
    rows = [
        (1, "Jane@Example.org", "2125550123", "@JaneDoe",
         '<div>\\n\\t<p>Call (415) 555-0199 or mail ops@example.com</p>\\n</div>', 7),
        (2, None, 2125550123, "jdoe", "nothing here", 3),   # a phone column read as integers
        (3, "a\x00b@example.net", "", None, "x@example.org", None),  # a NUL inside a cell
    ]
    mentions, words = row_mentions(US, columns, rows)
    placed = sorted((m.row, m.field, m.kind, m.key, m.text) for m in mentions)
    assert placed == [
        (1, "EmailAddress", "email", "jane@example.org", "Jane@Example.org"),
        (1, "EmailBody", "email", "ops@example.com", "ops@example.com"),
        (1, "EmailBody", "phone", "+14155550199", "(415) 555-0199"),
        (1, "Twitter", "handle", "twitter:janedoe", "@JaneDoe"),
        (1, "WorkPhone", "phone", "+12125550123", "2125550123"),
        (2, "Twitter", "handle", "twitter:jdoe", "jdoe"),
        (2, "WorkPhone", "phone", "+12125550123", "2125550123"),
        (3, "EmailAddress", "email", "b@example.net", "b@example.net"),
        (3, "EmailBody", "email", "x@example.org", "x@example.org"),
    ]
    names = [name for name, _kind in columns]
    for m in mentions:  # offsets are those of the stored cell, escapes and all
        cell = str(rows[m.row - 1][1 + names.index(m.field)])
        assert cell[m.start:m.end] == m.text
    assert words == 18


def test_the_recogniser_is_cheap_next_to_extraction() -> None:
    """The Cranfield collection (1.6 MB of abstracts): well over 100,000 words a second on one
    core, where a model-based stage aims at 10,000. Measured at about 4 million here
    (BENCHMARKS.md); the bound is loose so that a loaded machine does not fail it, but a
    Python loop per character would."""
    text = corpus_path("ir-cranfield", "cran.all.1400").read_text()
    words = len(text.split())
    best = min(_seconds(lambda: US.find(text)) for _ in range(3))
    assert words / best > 100_000, f"{words / best:,.0f} words/s"


def _seconds(work) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def test_section_and_version_numbers_are_not_addresses() -> None:
    """Seen in the shared corpus: a PDF's section headings and LibreOffice's version."""
    text = ("3.1.4.1 \nHydrographic Water Areas; see section 3.1.6.2; LibreOffice 4.1.1.2; "
            "list item 2.18.2.1. But DNS: 1.1.1.1, from 10.0.0.1, host 10.1.1.2:8080 and "
            "192.0.2.1 are.")
    assert _keys(text, "ip") == ["1.1.1.1", "10.0.0.1", "10.1.1.2", "192.0.2.1"]


def test_a_www_url_cut_by_a_line_break_is_not_a_url() -> None:
    assert _keys("go to www.irs.\ngov for the form", "url") == []
    assert _keys("go to www.irs.gov for the form", "url") == ["irs.gov"]
