"""The reader's view of a text (access/reader_text.py): what it decodes, how a match in it
maps back to the original, page breaks kept, footers seen through."""

from __future__ import annotations

import pytest

from trawl.access.document_text import mask_pages
from trawl.access.reader_text import reader_view
from trawl.access.redaction import RedactionRules, Redactor

DEFAULT = Redactor()


@pytest.mark.parametrize("text", ["plain words and 415-555-0162", "a\nb\tc", ""])
def test_plain_text_needs_no_view(text):
    assert reader_view(text) is None


@pytest.mark.parametrize(("text", "read"), [
    ("%28212%29+555-0183", "(212) 555-0183"),
    ("%2B1%20212%20555%200183", "+1 212 555 0183"),
    ("%2528212%2529", "(212)"),                       # encoded twice
    ("&#40;212&#41; 555&#8209;0183", "(212) 555-0183"),
    ("&amp;#64; &lt;b&gt; &nbsp;", "@ <b>  "),
    ("AT&T and &unknown; stay", "AT&T and &unknown; stay"),
    ("(212) 555-=\n0183 =3D", "(212) 555-0183 ="),     # quoted-printable
    ("555\u2011\u20130183\u00a0x\u200b1\uff12", "555--0183 x12"),
    ("q=a+b&tel=+1 jane+tag@example.org", "q=a b&tel=+1 jane+tag@example.org"),
])
def test_what_the_view_reads(text, read):
    view = reader_view(text)
    assert (view.text if view is not None else text) == read


def test_a_match_maps_back_to_its_encoded_form_whole():
    text = "Call %28212%29+555-0183 now"
    view = reader_view(text)
    start = view.text.index("(212)")
    assert view.pieces(start, start + len("(212) 555-0183")) == [(5, 23)]
    assert text[5:23] == "%28212%29+555-0183"
    assert DEFAULT.text(text) == "Call [phone] now"
    # touching one decoded character masks the whole escape, never half of it
    assert view.pieces(start, start + 1) == [(5, 8)]


def test_a_page_break_is_never_masked():
    text = "call (602)\n\f555-0143 today"
    view = reader_view(text)
    assert view.text == "call (602)\n555-0143 today"
    assert view.pieces(5, 19) == [(5, 10), (12, 20)]
    assert DEFAULT.text(text) == "call [phone]\n\f[phone] today"
    # an admin's term across pages: each half is masked on its own page
    names = Redactor(RedactionRules(terms=("Jane Roe",)))
    assert names.text("Jane\n\fRoe said") == "[redacted]\n\f[redacted] said"


def test_a_footer_between_two_halves_is_seen_through_and_kept():
    text = "call the office at (602)\nPage 1 of 8\n\f555-0143 during business hours."
    view = reader_view(text)
    [join] = list(view.joins())
    assert join.text == "call the office at (602)\n555-0143 during business hours."
    assert DEFAULT.text(text) == ("call the office at [phone]\nPage 1 of 8\n\f[phone] during "
                                  "business hours.")


def test_what_counts_as_page_furniture():
    def joined(footer: str, pages: int = 2) -> str:
        """The join across the first page break of a document whose pages end with
        `footer`, the first page with "(602)" and the second starting with "555-0143"."""
        starts = ["text of page 1\nend (602)", "555-0143 next", *["more text"] * (pages - 2)]
        text = "\n\f".join(f"{start}\n{footer.format(n=n)}"
                            for n, start in enumerate(starts, start=1))
        joins = list(reader_view(text).joins())
        return joins[0].text if joins else ""

    for footer in ("Page {n} of 8", "- {n} -", "{n}", "p. {n}/3", "", "Page {n}\n\n"):
        assert "(602)\n555-0143" in joined(footer), footer
    assert "(602)\n555-0143" in joined("Dept. of Records")  # the same line on both pages
    assert "(602)\n555-0143" in joined("Printed 03/0{n}/2021", 3)  # but for digits, on three
    assert joined("Printed 03/0{n}/2021") == ""                   # ... not on two
    assert list(reader_view("end\n602\n\f555-0143").joins()) == []  # no page number of 2 pages
    once = "end (602)\nDept. of Records\n\f555-0143 next"  # a line of text, once
    assert list(reader_view(once).joins()) == []


def test_a_doubtful_decoding_reads_the_original_too():
    # "=41" would be quoted-printable "A" (the text has a soft line break): the number is
    # still found in the original
    text = "Reply to x=415-555-0162 soon =\nthanks"
    assert reader_view(text).unsure
    assert DEFAULT.text(text) == "Reply to x=[phone] soon =\nthanks"
    assert not reader_view("a =3D b=20c").unsure


def test_pages_stay_pages():
    pages = ["Intro.\ncall (602)\nPage 1 of 3\n", "555-0143 then\nPage 2 of 3\n", "End."]
    masked = mask_pages(pages, DEFAULT, "application/pdf", "pdf")
    assert masked == ["Intro.\ncall [phone]\nPage 1 of 3\n", "[phone] then\nPage 2 of 3\n",
                      "End."]
