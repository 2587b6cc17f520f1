"""The redaction engine: each detector on what it must mask and on what it must leave (dates,
case numbers, times, money, versions, ZIP codes), admin terms and patterns, the rules' JSON
and fingerprint, table cells and metadata; then real files of the shared corpus (Enron
e-mails, .eml messages, police CSVs): after redaction an independent, simple check finds no
e-mail address or phone number, and the ordinary words around them are still there.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from shared_corpus import CORPUS, corpus_path

from trawl.access.redaction import (
    DETECTORS,
    MASK,
    PERSONAL_COLUMNS,
    RedactionRules,
    Redactor,
    redactor_for,
)

DEFAULT = Redactor()


def only(kind: str) -> Redactor:
    return Redactor(RedactionRules(detectors=(kind,)))


# -- detectors: what they mask -------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "text", "masked"), [
    ("email", "Write to jane.doe+tips@ncric.example.org today.",
     "Write to [email] today."),
    ("email", "From: \"Allen, Phillip\" <phillip.allen@enron.com>",
     "From: \"Allen, Phillip\" <[email]>"),
    ("email", "mailto:o'brien@ca.example.gov, x_y@sub.example.co.uk.",
     "mailto:[email], [email]."),
    ("email", "reach me at jane [at] example [dot] org", "reach me at [email]"),
    ("phone", "Call (415) 555-0142 or 415-555-0142 or 415.555.0142.",
     "Call [phone] or [phone] or [phone]."),
    ("phone", "Tel +1 415 555 0142, toll free 1-800-998-2462 x204",
     "Tel [phone], toll free [phone]"),
    ("phone", "cell: 4155550142; 4155550143 (fax)", "cell: [phone]; [phone] (fax)"),
    ("phone", "Orders: 888/501-3145, 800.937.5557x12", "Orders: [phone], [phone]"),
    ("phone", "Paris office +33 1 42 68 53 00, London +44 20 7946 0958.",
     "Paris office [phone], London [phone]."),
    ("phone", "call (415) 555-0162.0r write, tel555-0143, Phone:(415)555-0162",
     "call [phone].0r write, tel[phone], Phone:[phone]"),
    ("phone", "scan_415-555-0162.pdf, [415] 555-0162, 602 - 555 - 0143, 555-O162 x",
     "scan_[phone].pdf, [phone], [phone], 555-O162 x"),
    ("phone", "(415) 555-0142 or 555-0143; (415)\n555-0162; 415-555-\n0162",
     "[phone] or [phone]; [phone]; [phone]"),
    ("phone", "fax 415-555-O162, (4l5) 5550162", "fax [phone], [phone]"),
    ("email", "jane(at)example(dot)org, jo at example dot com, kim @ example.org",
     "[email], [email], [email]"),
    ("email", "write to jane.doe@\nexample.org or jo@exam-\nple.org",
     "write to [email] or [email]"),
    ("ssn", "SSN 219-09-9999 and 219 09 9999", "SSN [ssn] and [ssn]"),
    ("ssn", "SSN219-09-9999, 219-09-\n9999", "SSN[ssn], [ssn]"),
    ("ssn", "Social Security No. 219099999", "Social Security No. [ssn]"),
    ("dob", "DOB: 03/04/1971", "DOB: [date of birth]"),
    ("dob", "D.O.B. 1971-03-04; date of birth is March 4, 1971",
     "D.O.B. [date of birth]; date of birth is [date of birth]"),
    ("dob", "She was born on 4 March 1971 in Oakland. Birthdate 04-MAR-71",
     "She was born on [date of birth] in Oakland. Birthdate [date of birth]"),
    ("address", "Home: 1234 Elm Street, Apt 5. Office 1600 Pennsylvania Avenue NW.",
     "Home: [address]. Office [address]."),
    ("address", "Allegheny Valley Regional P.D. 100 Plate Dr Harwick, PA 15049",
     "Allegheny Valley Regional P.D. [address] Harwick, PA 15049"),
    ("address", "Mail to P.O. Box 4471 or PO BOX 12, or 12B W. 42nd St #4",
     "Mail to [address] or [address], or [address]"),
    ("address", "Meet at 77 Martin Luther King Jr Blvd Suite 200",
     "Meet at [address]"),
    ("ip", "Logged from 203.0.113.77 and 2001:db8::8a2e:370:7334.",
     "Logged from [ip] and [ip]."),
    ("ip", "full 2001:0db8:85a3:0000:0000:8a2e:0370:7334, loopback ::1, mapped ::ffff:192.0.2.1",
     "full [ip], loopback [ip], mapped [ip]"),
])
def test_detector_masks(kind: str, text: str, masked: str) -> None:
    assert only(kind).text(text) == masked
    assert DEFAULT.text(text) == masked


# -- detectors: what they leave ------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Incident on 01/02/1980 at 10:30:00, reported 2020-12-31T23:59:59Z.",  # dates, times
    "Case 2020-12345, case no. 80-10-011494, report #20-004513.",       # case numbers
    "Budget $1,234,567.89 and 5,551,234,567 dollars; 4155550142 widgets.",  # money, counts
    "Version 2.7.18 of the tool; section 4.2.1; build 10.0.19041.",   # versions
    "ZIP 94103, ZIP+4 94103-1234, PA 15049.",                          # ZIP codes
    "Invalid SSNs 000-12-3456, 666-12-3456, 900-12-3456, 123-00-4567, 123-45-0000.",
    "Not an address: 3 people drive to 2 Main events; 12 apples.",
    "Not IP: 256.1.1.1, 1.2.3 and the C++ std::vector, a::b, MAC 00:1A:2B:3C:4D:5E.",
    "File 76936@20140224123907.mpg and Message-ID <1878.1075@thyme>.",
    "Area code 123-456-7890 starts with 1; 555-123-4567 has exchange 123.",
    "Serial 123456789 without a label; born in Chicago; Adobe 2020-01-02.",
    "Hundred-block: 6200 BLOCK PRESTON HWY, LOUISVILLE 40219.",
    "Invoice 555-0143, part 415-5550162, look at example.com, in 2019 Superior Court.",
    "Columns 426\n521\n1855 and Total 312 455\n2018.",
])
def test_detectors_leave_ordinary_text(text: str) -> None:
    assert DEFAULT.spans(text) == []
    assert DEFAULT.text(text) == text


def test_spans_are_sorted_merged_and_labelled() -> None:
    text = "Reach jane@example.org / (415) 555-0142, DOB 1/2/1980, 10.0.0.1"
    spans = DEFAULT.spans(text)
    assert [kind for _s, _e, kind in spans] == ["email", "phone", "dob", "ip"]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert [text[s:e] for s, e, _k in spans] == [
        "jane@example.org", "(415) 555-0142", "1/2/1980", "10.0.0.1"]


def test_masks_hide_length_and_redacting_twice_changes_nothing() -> None:
    short = DEFAULT.text("a@b.org")
    long_ = DEFAULT.text("a.very.long.local.part.indeed@mail.department.example.org")
    assert short == long_ == "[email]"
    text = "Call 415-555-0142, mail x@y.org, SSN 219-09-9999, DOB 3/4/71, 1 Elm St, 10.1.2.3"
    once = DEFAULT.text(text)
    assert DEFAULT.text(once) == once
    assert not re.search(r"[0-9@]", once.replace("DOB", ""))


def test_overlapping_matches_leave_no_character_out() -> None:
    """Two matches that overlap are masked as one (their union), labelled by the longer."""
    redactor = Redactor(RedactionRules(patterns=(r"Apt 5 and more words",)))
    text = "Home: 1234 Elm Street, Apt 5 and more words."
    assert redactor.spans(text) == [(6, 43, "address")]
    assert redactor.text(text) == "Home: [address]."


def test_disabled_detectors_do_nothing() -> None:
    none = Redactor(RedactionRules(detectors=()))
    text = "x@y.org 415-555-0142 219-09-9999 DOB 1/2/1980 1 Elm St 10.0.0.1"
    assert none.text(text) == text
    assert only("email").text(text) == "[email] " + text.split(" ", 1)[1]


# -- admin terms and patterns --------------------------------------------------------------------
def test_terms_are_whole_words_in_any_case() -> None:
    redactor = Redactor(RedactionRules(terms=("Priya Raman", "Kessler")))
    text = "Analyst PRIYA  RAMAN met Kessler; Kesslerite and priyaraman stay."
    assert redactor.text(text) == "Analyst [redacted] met [redacted]; Kesslerite and " \
        "priyaraman stay."


def test_patterns_mask_and_bad_patterns_are_refused() -> None:
    redactor = Redactor(RedactionRules(patterns=(r"\bCI-[0-9]{4}\b",)))
    assert redactor.text("Informant CI-0042 said") == "Informant [redacted] said"
    with pytest.raises(ValueError, match="not a valid regular expression"):
        RedactionRules(patterns=("(unclosed",))
    for empty in ("x*", r"\b", "(?:)", "a?|b"):
        with pytest.raises(ValueError, match="matches the empty string"):
            RedactionRules(patterns=(empty,))
    with pytest.raises(ValueError, match="list of strings"):
        RedactionRules(patterns="CI-[0-9]+")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown redaction detector"):
        RedactionRules(detectors=("email", "passport"))


# -- rules: JSON and fingerprint -----------------------------------------------------------------
def test_rules_json_round_trip_and_defaults() -> None:
    assert RedactionRules.from_json(None) == RedactionRules.from_json("") == RedactionRules()
    assert RedactionRules().detectors == DETECTORS
    rules = RedactionRules(detectors=("phone", "email"), columns=("BadgeNumber", "first_name"),
                           terms=("Priya Raman",), patterns=(r"CI-[0-9]{4}",))
    assert RedactionRules.from_json(rules.to_json()) == rules
    assert rules.detectors == ("email", "phone")  # canonical order
    # A missing key keeps its default; unknown keys and bad JSON are refused, clearly.
    partial = RedactionRules.from_json(json.dumps({"terms": ["Kessler"]}))
    assert partial.columns == RedactionRules().columns and partial.terms == ("Kessler",)
    with pytest.raises(ValueError, match="unknown redaction setting"):
        RedactionRules.from_json('{"column": ["x"]}')
    with pytest.raises(ValueError, match="not valid JSON"):
        RedactionRules.from_json("{")
    with pytest.raises(ValueError, match="JSON object"):
        RedactionRules.from_json("[]")


def test_fingerprint_is_stable_and_follows_the_rules() -> None:
    base = RedactionRules()
    assert base.fingerprint() == RedactionRules().fingerprint()
    assert len(base.fingerprint()) == 16
    same = RedactionRules(detectors=tuple(reversed(DETECTORS)), columns=(
        *reversed(PERSONAL_COLUMNS), "EMAIL_ADDRESS"))
    assert same.fingerprint() == base.fingerprint()  # order and duplicates do not count
    changed = {RedactionRules(terms=("Kessler",)).fingerprint(),
               RedactionRules(detectors=("email",)).fingerprint(),
               RedactionRules(columns=("FirstName",)).fingerprint(),
               RedactionRules(patterns=("CI-[0-9]+",)).fingerprint()}
    assert base.fingerprint() not in changed and len(changed) == 4
    assert redactor_for(base) is redactor_for(RedactionRules())


# -- table cells and metadata --------------------------------------------------------------------
def test_personal_columns() -> None:
    for name in ("FirstName", "first_name", "FIRST NAME", "fullname", "EmailAddress",
                 "Email_2", "SupervisorEmailAddress", "WorkPhone", "MobilePhone", "Password",
                 "Address1", "Address2", "DateOfBirth", "DOB", "IPAddress", "UserName",
                 "Suspect", "Author", "DriversLicense"):
        assert DEFAULT.is_personal_column(name), name
    for name in ("AgencyName", "AgencyOrganizationName", "City", "State", "ZipCode",
                 "County", "Name", "DocTitle", "FileName", "File1Name", "LastLogin",
                 "LoginCount", "PasswordMinLength", "EmailSubject", "EmailBody", "Category"):
        assert not DEFAULT.is_personal_column(name), name
    custom = Redactor(RedactionRules(columns=("Badge",)))
    assert custom.is_personal_column("badge_2") and not custom.is_personal_column("FirstName")


def test_cells() -> None:
    assert DEFAULT.cell("FirstName", "Alice") == MASK
    assert DEFAULT.cell("WorkPhone", 4155550142) == MASK
    assert DEFAULT.cell("FirstName", None) is None and DEFAULT.cell("FirstName", "") == ""
    assert DEFAULT.cell("InternalNotes", "call 415-555-0142") == "call [phone]"
    assert DEFAULT.cell("SARsid", 4155550142) == 4155550142  # a number of another column
    assert DEFAULT.cell("Latitude", 37.8) == 37.8
    assert DEFAULT.cell("City", "Oakland") == "Oakland"


def test_metadata() -> None:
    meta = {"from": "Phillip Allen <phillip.allen@enron.com>",
            "to": ["a@x.org", "Board <board@y.org>"], "author": "Phillip Allen",
            "pages": 3, "encrypted": False, "headers": {"X-Originating-IP": "[192.0.2.4]"}}
    assert DEFAULT.metadata(meta) == {
        "from": "Phillip Allen <[email]>", "to": ["[email]", "Board <[email]>"],
        "author": MASK, "pages": 3, "encrypted": False,
        "headers": {"X-Originating-IP": "[[ip]]"}}


def test_empty_and_missing_text() -> None:
    assert DEFAULT.text("") == "" and DEFAULT.spans("") == []
    assert DEFAULT.text("no personal data here") == "no personal data here"


# -- real files ----------------------------------------------------------------------------------
# Independent, simple checks: what a reader would notice as an address or a number.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"\(?\b[0-9]{3}\)?[-. ]?[0-9]{3}[-.][0-9]{4}\b")
WORD = re.compile(r"\b[A-Za-z]{3,}\b")


def _mail_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus missing: {CORPUS}")
    files = [p for p in sorted((CORPUS / "enron-sample" / "maildir").rglob("*")) if p.is_file()]
    files += sorted(CORPUS.rglob("*.eml"))
    assert len(files) > 100
    return files


def test_real_emails_keep_no_address_or_phone_number() -> None:
    found = Counter()
    total = kept = 0
    for path in _mail_files():
        text = path.read_text("utf-8", "replace")
        found["emails"] += len(EMAIL.findall(text))
        found["phones"] += len(PHONE.findall(text))
        redacted = DEFAULT.text(text)
        assert not EMAIL.findall(redacted), path
        assert not PHONE.findall(redacted), path
        # The words around them survive (outside the addresses themselves).
        after = Counter(WORD.findall(redacted))
        for word, n in Counter(WORD.findall(EMAIL.sub(" ", text))).items():
            total += n
            kept += min(n, after[word])
    assert found["emails"] > 1000 and found["phones"] > 10  # the check had work to do
    assert kept / total > 0.995


def test_one_enron_message_reads_as_before() -> None:
    text = corpus_path("enron-sample", "maildir", "allen-p", "_sent_mail", "1.").read_text()
    redacted = DEFAULT.text(text)
    assert "From: [email]" in redacted and "To: [email]" in redacted
    assert "Here is our forecast" in redacted
    assert "Mon, 14 May 2001 16:39:00 -0700 (PDT)" in redacted  # a date, not a birth date
    assert "X-From: Phillip K Allen" in redacted  # names need admin terms


def test_real_police_csv_with_phones_and_addresses() -> None:
    path = corpus_path("pdap-police", "PA", "allegheny_county", "departments_by_muni",
                       "sample_police_departments.csv")
    text = path.read_text()
    redacted = DEFAULT.text(text)
    assert len(PHONE.findall(text)) > 40 and not PHONE.findall(redacted)
    assert redacted.count("[address]") > 30
    assert '"Aspinwall P.D. [address] Aspinwall, PA 15215",[phone] [phone] (Fax)' in redacted
    before = list(csv.reader(io.StringIO(text)))
    after = list(csv.reader(io.StringIO(redacted)))
    assert after[0] == before[0] == ["Name", "Contact Info", "Jurisdictions Covered"]
    assert [row[2] for row in after] == [row[2] for row in before]  # no personal data there


def test_real_police_data_that_is_not_personal_stays() -> None:
    """Case numbers, dates, times, block addresses, coordinates and file names of real
    police exports are left as they are."""
    for parts in (
            ("KY", "jefferson_county", "louisville", "louisville_police", "data",
             "hate_crimes", "2021_05_10_hate_crimes.csv"),
            ("WA", "king_county", "seattle", "seattle_police", "data",
             "in_car_video_dropped_frames", "2021_05_17_in_car_video_dropped_frames.csv")):
        text = corpus_path("pdap-police", *parts).read_text("utf-8", "replace")
        spans = DEFAULT.spans(text)
        assert spans == [], [text[s:e] for s, e, _k in spans[:5]]
