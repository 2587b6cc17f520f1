"""What happens on a portal, one step at a time: each step writes rows and their files.

Every step takes the :class:`~benchmarks.corpus.site.Site` and draws from its RNG. Steps are
weighted in :data:`STEPS`; the site loop calls them until its byte budget is reached.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from . import attach, formats, images, names, text
from . import words as W
from .docs import DOC_FORMATS, local_doc, paras, place_doc, roster, shared_copy, shared_doc
from .setup import SURVEY_QUESTIONS
from .tables import guid, html_cell, smart

if TYPE_CHECKING:
    from .site import Site

PAGES = ("Documents.aspx", "SARs.aspx", "Requests.aspx", "IncidentMap.aspx", "Calendar.aspx",
         "Registrations.aspx", "EmailBuilder.aspx", "Default.aspx", "Search.aspx")
AGENTS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/83.0",
          "Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 13_5 like Mac OS X) AppleWebKit/605.1.15")
SAR_CATEGORIES = ("Suspicious Activity", "Photography", "Surveillance", "Cyber Incident",
                  "Expressed or Implied Threat", "Drone Sighting", "Tip", "Materials Acquisition",
                  "Testing of Security", "Eliciting Information", "Misrepresentation")
SAR_TOPICS = ("intel", "officer_safety", "cyber", "narcotics", "bolo", "trafficking", "gangs")

def documents(site: Site, fmt: str | None = None) -> None:
    rng = site.rng
    if fmt is None and rng.random() < 0.3:
        cell, doc = shared_doc(site, "DDF")
    else:
        cell, doc = place_doc(site, "DDF", fmt or rng.choice(DOC_FORMATS))
    t = site.table("Documents")
    did = t.new_id()
    preview = ""
    if rng.random() < 0.25:
        thumb = images.cover(rng, doc.title, doc.agency)
        preview = site.files.put("PreviewImages", f"{did}_preview.jpg", images.jpeg(thumb, 70),
                                 doc.date, "jpg")
    second = ""
    if rng.random() < 0.08:
        site.saw(doc.text_lines())
        second = site.files.put("DDF", f"{attach.safe_name(doc.title)}.docx",
                                formats.docx(text.replace_needle(doc, "")), doc.date, "docx")
        shared_copy(site, doc, "docx")
    cat = W.TOPICS[doc.topic]["category"][0]
    t.add({"DocumentID": did, "DocFilename": cell, "DocFileName2": second,
           "Author": doc.author, "DateEntered": doc.date, "DocTitle": doc.title,
           "Description": smart(doc.summary, rng), "ShortDescription": doc.title[:100],
           "Keywords": ", ".join(doc.keywords), "DocumentCategoryID": site.category_ids[cat],
           "PreviewImage": preview, "SortOrder": did, "SecureDocument": "Yes",
           "ViewCount": rng.randrange(0, 900), "FormTimeStamp": doc.date, "GUID": guid(rng)})
    if len(site.docs) < 400:
        site.docs.append((cell, doc))
    else:
        site.docs[rng.randrange(400)] = (cell, doc)
    dl = site.table("DocumentDownload")
    for _ in range(rng.randrange(0, 6)):
        dl.add({"DocumentDownloadID": dl.new_id(), "DocumentID": did,
                "EmailAddress": rng.choice(site.emails), "IPAddress": names.ip(rng),
                "FormTimeStamp": doc.date + timedelta(hours=rng.randrange(1, 900))})


def email(site: Site) -> None:
    rng = site.rng
    t = site.table("EmailBuilder")
    eid = t.new_id()
    when = site.when()
    cells: list[str] = []
    for _ in range(min(15, int(rng.expovariate(0.7)))):
        if site.docs and rng.random() < 0.6:
            cells.append(rng.choice(site.docs)[0])
        else:
            fmt = rng.choice(("pdf", "pdf", "docx", "jpg", "xlsx"))
            cells.append(place_doc(site, "EmailBuilder", fmt)[0])
    sender = rng.choice(site.staff)
    subject = rng.choice(site.docs)[1].title if site.docs else "Weekly Intelligence Update"
    sent = ""
    if rng.random() < 0.4:
        listing = "\r\n".join(rng.sample(site.emails, min(len(site.emails), 60)))
        site.saw(listing.split("\r\n"))
        sent = site.files.put("EmailBuilder", f"SentEmailList_{eid}.txt", listing.encode(),
                              when, "txt")
    row = {"EmailBuilderID": eid, "EmailName": f"{subject[:40]} {when:%m-%d-%Y}",
           "EmailFrom": sender.email, "EmailFromName": sender.full, "EmailSubject": subject,
           "EmailBody": html_cell(paras(site, None, rng.randrange(1, 5), 0.5)),
           "EmailTable": "Registrations", "SentEmailList": sent, "Approved": "Yes",
           "ApprovedBy": site.staff[0].full, "DateSent": when, "FormTimeStamp": when,
           "CreatorEmail": sender.email, "EmailCount": rng.randrange(20, 9000),
           "EventBuilderID": rng.choice(site.events) if site.events and rng.random() < 0.2
           else "", "GUID": guid(rng)}
    row.update({f"Attachment{i}": c for i, c in enumerate(cells, 1)})
    t.add(row)


def _upload(site: Site, folder: str, when: datetime, kind: str = "") -> tuple[str, str]:
    """A file as a member of the public uploaded it: (cell, original file name)."""
    rng = site.rng
    kind = kind or rng.choices(("jpg", "png", "pdf", "docx", "eml"), weights=(5, 2, 2, 1, 1))[0]
    if kind == "jpg":
        needle = site.needle("jpg")
        data = attach.photo(rng, when, needle or names.plate(rng), site.max_w)
        orig = f"IMG_{rng.randrange(1000, 9999)}.JPG"
    elif kind == "png":
        needle = site.needle("png")
        post = text.short_text(rng, site.info.state, None, 3) + (f" {needle}" if needle else "")
        data = attach.screenshot(rng, f"@{text.codename(rng).lower()}{rng.randrange(99)}", post)
        orig = f"Screenshot_{when:%Y%m%d-%H%M%S}.png"
    elif kind == "eml":
        return _eml_upload(site, folder, when)
    else:
        return place_doc(site, folder, kind)[0], f"{rng.choice(('report', 'tip', 'info'))}.{kind}"
    cell = site.files.put(folder, orig, data, when, kind)
    if needle:
        site.record_needle(needle, kind, site.files.rel_last())
    return cell, orig


def _eml_upload(site: Site, folder: str, when: datetime) -> tuple[str, str]:
    rng = site.rng
    needle = site.needle("eml")
    doc = local_doc(site, None, rng.randrange(1, 4))
    body = "\n\n".join(["Forwarding the tip below for awareness.", *doc.paragraphs()])
    if needle:
        body += f"\n\nReference tag: {needle}"
    who, to = site.person(), rng.choice(site.staff)
    att = [("photo1.jpg", attach.photo(rng, when, "", site.max_w // 2), "image/jpeg")]
    if rng.random() < 0.5:
        att.append((f"{attach.safe_name(doc.title, 40)}.pdf", attach.text_pdf(doc, rng, None),
                    "application/pdf"))
        site.saw(doc.text_lines())
    site.saw([who.email, to.email, body, doc.title, who.full])  # From: "Who <who@...>"
    data = formats.eml(rng, sender=f"{who.full} <{who.email}>", to=[to.email],
                       subject=f"FW: {doc.title}", when=when, text=body, attachments=att)
    cell = site.files.put(folder, f"FW {attach.safe_name(doc.title, 50)}.eml", data, when, "eml")
    if needle:
        site.record_needle(needle, "eml", site.files.rel_last())
    return cell, "message.eml"


def sar(site: Site, uploads: tuple[str, ...] = ()) -> None:
    rng = site.rng
    t = site.table("SARs")
    when, who, topic = site.when(), site.person(), rng.choice(SAR_TOPICS)
    folder = f"SARs/{when.year}"
    row = {"SARsid": t.new_id(), "FormTimeStamp": when, "Category": rng.choice(SAR_CATEGORIES),
           "FirstName": who.first, "LastName": who.last, "fullname": who.full,
           "AgencyOrganizationName": who.agency, "PhoneNumber": who.phone, "Email": who.email,
           "County": names.town(rng), "City": names.town(rng), "State": site.info.state,
           "IncidentDate": when - timedelta(days=rng.randrange(0, 9)),
           "IncidentTime": f"{rng.randrange(24):02d}:{rng.randrange(60):02d}",
           "ShortDescription": text.short_text(rng, site.info.state, topic, 1, when)[:200],
           "BriefSummary": _summary(site, topic, when),
           "CaseNumber": f"{when.year}-{rng.randrange(99999):05d}",
           "Subjects": f"{rng.choice(names.FIRST_NAMES)} {names.surname(rng)}",
           "SubjectIdentification": f"DOB {rng.randrange(1, 13)}/{rng.randrange(1, 28)}/"
           f"{rng.randrange(1950, 2002)}", "SubjectInformation": _subject(rng),
           "VehicleInformation": _vehicle(rng, site.info.state),
           "NSFormName": rng.choice(site.forms["sar"]), "guid": guid(rng),
           "IPAddress": names.ip(rng), "NSTrackingNumber": f"SAR-{when.year}-{t.rows + 1:05d}",
           "Status": rng.choice(("Open", "Closed", "Referred", "Pending Review")),
           "Latitude": "", "Longitude": ""}
    kinds = uploads or [""] * min(6, int(rng.expovariate(0.9)))
    for i, kind in enumerate(kinds, 1):
        row[f"File{i}"], row[f"File{i}Name"] = _upload(site, folder, when, kind)
    t.add(row)
    site.remember_email(who.email)


def _summary(site: Site, topic: str, when: datetime) -> str:
    rng = site.rng
    parts = [text.short_text(rng, site.info.state, topic, rng.randrange(2, 6), when)
             for _ in range(rng.randrange(1, 3))]
    needle = site.needle("csv")
    if needle:
        parts.append(f"Reference tag: {needle}")
        site.record_needle(needle, "csv", site.table("SARs").path.relative_to(site.run.out)
                           .as_posix(), "SARs.BriefSummary")
    return smart(("\r\n\r\n" if rng.random() < 0.3 else " ").join(parts), rng)


def _subject(rng: random.Random) -> str:
    return (f"{rng.choice(('Male', 'Female', 'Unknown'))}, approx. {rng.randrange(18, 70)} "
            f"years, {rng.randrange(5, 7)}'{rng.randrange(12)}\", {rng.randrange(110, 260)} lbs, "
            f"wearing {rng.choice(W.COLORS)} jacket")


def _vehicle(rng: random.Random, state: str) -> str:
    return (f"{rng.randrange(1998, 2021)} {rng.choice(W.COLORS)} {rng.choice(W.VEHICLES)}, "
            f"plate {names.plate(rng)} ({state})")


def request(site: Site) -> None:
    rng = site.rng
    t = site.table("Requests")
    when, who = site.when(), site.person()
    row = {"Requestsid": t.new_id(), "FormTimeStamp": when,
           "NSFormName": rng.choice(site.forms["request"]), "FirstName": who.first,
           "LastName": who.last, "AgencyOrganizationName": who.agency,
           "EmailAddress": who.email, "PhoneNumber": who.phone,
           "RequestType": rng.choice(("Person Lookup", "Vehicle Lookup", "Phone Toll Analysis",
                                      "Deconfliction", "Social Media Review", "Link Chart")),
           "Priority": rng.choice(("Routine", "Priority", "Emergency")),
           "CaseNumber": f"{when.year}-{rng.randrange(99999):05d}",
           "Subjects": f"{rng.choice(names.FIRST_NAMES)} {names.surname(rng)}",
           "Description": smart(text.short_text(rng, site.info.state, None, 3), rng),
           "DateNeeded": when + timedelta(days=rng.randrange(1, 14)), "IPAddress": names.ip(rng),
           "Status": rng.choice(("Completed", "Assigned", "Open")),
           "AssignedTo": rng.choice(site.staff).full, "guid": guid(rng)}
    for i in range(1, min(6, int(rng.expovariate(1.2))) + 1):
        fmt = rng.choice(("pdf", "docx", "xlsx", "eml"))
        if fmt == "eml":
            row[f"File{i}"], row[f"File{i}Name"] = _eml_upload(site, "Requests", when)
        else:
            row[f"File{i}"] = place_doc(site, "Requests", fmt)[0]
            row[f"File{i}Name"] = f"request_{i}.{fmt}"
    t.add(row)
    site.remember_email(who.email)


def incident(site: Site) -> None:
    rng = site.rng
    t = site.table("IncidentMap")
    when = site.when()
    _, _, lat, lon = names.state_row(site.info.state)
    row: dict[str, object] = {
        "IncidentMapID": t.new_id(), "ProblemDate": when,
        "Latitude": f"{lat + rng.uniform(-1.5, 1.5):.6f}",
        "Longitude": f"{lon + rng.uniform(-1.5, 1.5):.6f}",
        "Category": rng.choice(site.map_categories), "Address": names.address(rng),
        "City": names.town(rng), "State": site.info.state,
        "Description": text.short_text(rng, site.info.state, None, 2, when),
        "Suspect": f"{rng.choice(names.FIRST_NAMES)} {names.surname(rng)}",
        "Race": "Unknown", "Gender": rng.choice(("M", "F", "U")),
        "DateOfBirth": f"{rng.randrange(1, 13)}/{rng.randrange(1, 28)}/{rng.randrange(1955, 2003)}",
        "Height": f"{rng.randrange(5, 7)}'{rng.randrange(12)}\"",
        "Weight": rng.randrange(110, 260), "MostWanted": rng.choice(("No", "No", "Yes")),
        "FormTimeStamp": when, "EnteredBy": rng.choice(site.staff).email,
        "IPAddress": names.ip(rng), "Approved": "Yes", "GUID": guid(rng)}
    values = (names.agency(rng, site.info.state), f"{when.year}-{rng.randrange(99999):05d}",
              rng.choice(("Ford", "Toyota", "Honda", "Chevrolet")), rng.choice(W.COLORS),
              names.plate(rng), rng.choice(("copper wire", "catalytic converter", "tools", "")),
              f"${rng.randrange(50, 20000)}")
    for i, v in enumerate(values, 1):
        row[f"GenericField{i}"] = v
    for i in range(1, min(10, int(rng.expovariate(0.8))) + 1):
        w = min(1024, site.max_w)
        img = images.photo_image(rng, (w, w * 3 // 4), f"{when:%Y-%m-%d %H:%M} {row['Category']}")
        row[f"File{i}"] = site.files.put("IncidentMap", f"incident_{row['IncidentMapID']}_{i}.jpg",
                                         images.jpeg(img, 80), when, "jpg")
        row[f"Thumbnail{i}"] = site.files.put(
            "IncidentMap/Thumbnails", f"thumb_{row['IncidentMapID']}_{i}.png",
            images.png(images.thumbnail(img, 160)), when, "png")
    t.add(row)


def registrations(site: Site) -> None:
    rng = site.rng
    t, link = site.table("Registrations"), site.table("RegistrationsToTaskForce")
    flags = t.columns[t.columns.index("GUID") + 1:]
    for _ in range(rng.randrange(3, 16)):
        p, boss, when = site.person(), site.person(), site.when()
        rid = t.new_id()
        row: dict[str, object] = {
            "Registrationsid": rid, "FormTimeStamp": when, "FirstName": p.first,
            "LastName": p.last, "FullName": p.full, "PositionTitleRank": p.title,
            "AgencyOrganization": p.agency, "AgencyType": rng.choice(("Local", "State",
                                                                     "Federal", "Tribal",
                                                                     "Private Sector")),
            "Address1": names.address(rng), "City": names.town(rng), "State": site.info.state,
            "ZipCode": f"{rng.randrange(10000, 99999)}", "EmailAddress": p.email,
            "WorkPhone": p.phone, "MobilePhone": names.phone(rng),
            "SupervisorFullName": boss.full, "SupervisorEmailAddress": boss.email,
            "Password": f"{rng.getrandbits(80):020x}", "MemberType": rng.choice(
                ("Law Enforcement", "Fire/EMS", "Private Sector", "Government")),
            "ApprovedMenu": rng.choice(("LE", "ALL", "PS")), "Approved": "Yes",
            "IPAddress": names.ip(rng), "LastUpdate": when + timedelta(days=rng.randrange(400)),
            "LoginCount": rng.randrange(0, 500), "GUID": guid(rng)}
        for c in rng.sample(flags, rng.randrange(0, 30)):
            row[c] = rng.choice(("Yes", "No"))
        t.add(row)
        site.remember_email(p.email)
        for tf in rng.sample(site.taskforces, rng.randrange(0, 3)):
            link.add({"RegistrationsToTaskForceID": link.new_id(), "Registrationsid": rid,
                      "TaskForceID": tf})


def logins(site: Site) -> None:
    rng = site.rng
    t = site.table("SecureMenuLog")
    when = site.when()
    for _ in range(rng.randrange(10, 80)):
        when += timedelta(seconds=rng.randrange(30, 20000))
        t.add({"SecureMenuLogID": t.new_id(), "FormTimeStamp": min(when, text.END),
               "EmailAddress": rng.choice(site.emails), "IPAddress": names.ip(rng),
               "PageName": rng.choice(PAGES), "MenuGroup": rng.choice(("LE", "ALL", "PS")),
               "UserAgent": rng.choice(AGENTS), "Success": rng.choice(("True", "True", "False"))})


def survey(site: Site) -> None:
    rng = site.rng
    t = site.table("Survey")
    form = rng.choice(list(site.surveys))
    for _ in range(rng.randrange(2, 15)):
        answers = {q: rng.choice(SURVEY_QUESTIONS[q]) if SURVEY_QUESTIONS[q]
                   else text.short_text(rng, site.info.state, "training", 1)
                   for q in site.surveys[form]}
        t.add({"SurveyID": t.new_id(), "SurveyFormID": form, "FormTimeStamp": site.when(),
               "SurveyData": urlencode(answers), "EmailAddress": rng.choice(site.emails),
               "IPAddress": names.ip(rng), "GUID": guid(rng)})


def event(site: Site) -> None:
    rng = site.rng
    t = site.table("EventBuilder")
    eid = t.new_id()
    flyer_cell, doc = place_doc(site, "EventBuilder", "pdf", "training")
    course = next((c for c in W.COURSES if c in doc.title), rng.choice(W.COURSES))
    form = f"{course.replace(' ', '')}{doc.date.year}_{eid}"
    contact = rng.choice(site.staff)
    roster_cell = ""
    if rng.random() < 0.5:
        roster_cell = site.files.put("EventBuilder", f"{form} Roster.xlsx",
                                     roster(site, f"{course} roster", doc.date), doc.date, "xlsx")
    t.add({"EventBuilderID": eid, "FormName": form, "EventTitle": doc.title,
           "EventDescription": html_cell(doc.paragraphs()[:3]), "EventDate": doc.date,
           "EventEndDate": doc.date + timedelta(days=rng.randrange(0, 4)),
           "EventLocation": f"{rng.choice(W.VENUES).title()}", "City": names.town(rng),
           "State": site.info.state, "ContactName": contact.full, "ContactEmail": contact.email,
           "ContactPhone": contact.phone, "MaxRegistrations": rng.randrange(20, 300),
           "FlyerPDF": flyer_cell, "PostEventRoster": roster_cell, "Approved": "Yes",
           "FormTimeStamp": doc.date - timedelta(days=30), "GUID": guid(rng)})
    site.events.append(eid)
    reg = site.table("EventRegistration")
    for _ in range(rng.randrange(3, 40)):
        p = site.person()
        reg.add({"EventRegistrationID": reg.new_id(), "EventFormName": form,
                 "FormTimeStamp": doc.date - timedelta(days=rng.randrange(1, 30)),
                 "FirstName": p.first, "LastName": p.last, "EmailAddress": p.email,
                 "AgencyOrganization": p.agency, "PositionTitleRank": p.title,
                 "PhoneNumber": p.phone, "City": names.town(rng), "State": site.info.state,
                 "Attended": rng.choice(("Yes", "No", "")), "IPAddress": names.ip(rng),
                 "GUID": guid(rng)})
    if rng.random() < 0.4:
        pdfs = site.table("EventPDF")
        cell, agenda = place_doc(site, "EventBuilder", "pdf", "training")
        pdfs.add({"EventPDFID": pdfs.new_id(), "EventBuilderID": eid, "PDFFile": cell,
                  "PDFTitle": agenda.title, "SortOrder": pdfs.rows})


def gallery(site: Site) -> None:
    rng = site.rng
    t = site.table("ImageGalleryImage")
    when = site.when()
    iid = t.new_id()
    caption = text.short_text(rng, site.info.state, rng.choice(("training", "emergency")), 1)
    img = images.photo_image(rng, (site.max_w, site.max_w * 3 // 4), f"{when:%B %d, %Y}")
    big = site.files.put("ImageGallery", f"IMG_{iid:04d}.jpg", images.jpeg(img, 85), when, "jpg")
    small = site.files.put("ImageGallery/Thumbnails", f"IMG_{iid:04d}_thumb.jpg",
                           images.jpeg(images.thumbnail(img), 75), when, "jpg")
    t.add({"ImageGalleryImageID": iid, "ImageGalleryID": rng.randrange(1, 6),
           "ImageTitle": caption[:60], "Caption": caption, "BigPicture": big, "Thumbnail": small,
           "SortOrder": iid, "FormTimeStamp": when})


def blog(site: Site) -> None:
    rng = site.rng
    t = site.table("Blog")
    doc = local_doc(site, None, rng.randrange(2, 6))
    t.add({"BlogID": t.new_id(), "BlogCategoryID": rng.randrange(1, 5), "BlogTitle": doc.title,
           "BlogBody": html_cell(doc.paragraphs()), "Author": doc.author,
           "DatePosted": doc.date, "Approved": "Yes", "PageIdentifier": rng.randrange(1, 400)})


def hidta(site: Site) -> None:
    """Inventory rows; only HIDTA portals have initiatives (elsewhere this step is a no-op)."""
    rng = site.rng
    if not site.initiatives:
        return
    t = site.table("HIDTAInventory")
    for _ in range(rng.randrange(3, 20)):
        t.add({"HIDTAInventoryID": t.new_id(), "HIDTAInitiativeID": rng.choice(site.initiatives),
               "ItemDescription": rng.choice(("Laptop", "Radio", "GPS tracker", "Camera",
                                              "Vehicle", "Body armor", "Cell phone")),
               "SerialNumber": f"SN{rng.getrandbits(40):010X}", "Quantity": rng.randrange(1, 9),
               "UnitValue": f"{rng.randrange(50, 40000)}.00", "DateAcquired": site.when(),
               "AssignedTo": rng.choice(site.staff).full})


def web_page(site: Site) -> None:
    """Saved pages and bulletins dropped in files/ directly (file-only portals, orphans)."""
    fmt = site.rng.choice(("html", "pdf", "docx", "jpg"))
    place_doc(site, site.rng.choice(("DDF", "Uploads", "Web")), fmt)


# -- start and registry -------------------------------------------------------------------

def starter(site: Site) -> None:
    """One document of every format and one SAR with every upload kind, so that even a tiny
    corpus has them all (and every needle gets planted)."""
    for fmt in ("pdf", "pdf-scan", "docx", "xlsx", "html", "zip"):
        documents(site, fmt)
    sar(site, ("jpg", "png", "eml"))


Step = Callable[["Site"], None]
STEPS: tuple[tuple[Step, int], ...] = (
    (documents, 30), (email, 12), (sar, 10), (request, 5), (incident, 7), (registrations, 12),
    (logins, 9), (survey, 3), (event, 4), (gallery, 4), (blog, 2), (hidta, 3),
)
FILE_ONLY_STEPS: tuple[tuple[Step, int], ...] = ((web_page, 1),)
