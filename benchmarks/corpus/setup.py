"""One-off rows written when a site opens: company, map options, surveys, initiatives."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from . import names
from . import words as W

if TYPE_CHECKING:
    from .site import Site

MAP_CATEGORIES = ("Burglary", "Vehicle Theft", "Suspicious Activity", "Narcotics", "Shots Fired",
                  "Graffiti", "Cargo Theft", "Skimmer Found", "Drone Sighting", "Copper Theft")
MAP_LABELS = ("Reporting Agency", "Case Number", "Vehicle Make", "Vehicle Color", "Plate",
              "Property Taken", "Value", "Method of Entry", "Weapon Used", "Contact Person",
              "Contact Phone", "Shift", "Beat", "Disposition", "Notes")
SURVEY_QUESTIONS = {
    "How useful was this product?": ("Very useful", "Somewhat useful", "Not useful"),
    "Which topics interest you?": W.KEYWORDS,
    "How did you hear about us?": ("E-mail", "Colleague", "Training event", "Website"),
    "Would you attend future training?": ("Yes", "No", "Maybe"),
    "Agency size": ("1-25 officers", "26-100 officers", "101-500 officers", "500+"),
    "Preferred delivery method": ("E-mail", "Portal", "Text message"),
    "Comments": (),
}

def company(site: Site) -> None:
    rng, info = site.rng, site.info
    logo_cell = site.files.put("Logo", f"{info.name}_logo.jpg", site.logo[0], site.since, "jpg")
    site.table("Company").add({
        "CompanyID": 1, "CompanyName": info.title, "Address1": names.address(rng),
        "City": names.town(rng), "State": info.state, "ZipCode": f"{rng.randrange(10000, 99999)}",
        "Phone": names.phone(rng), "Fax": names.phone(rng), "EmailAddress": site.staff[0].email,
        "URL": f"https://{info.name}.example.org/", "Logo": logo_cell,
        "Disclaimer": "This site is for official use by authorized members only."})
    site.table("Style").add({"StyleID": 1, "StyleName": "Default", "BackgroundColor": "#FFFFFF",
                             "FontFamily": "Arial", "FontColor": "#222222",
                             "LinkColor": "#003366", "CSS": "body{margin:0}"})
    site.table("SecurityOptions").add({"SecurityOptionsID": 1, "PasswordMinLength": 8,
                                       "PasswordExpireDays": 90, "LockoutAttempts": 5,
                                       "TwoFactor": "No", "SessionTimeout": 20})
    site.table("CatalogOptions").add({"CatalogOptionsID": 1, "ShowPrices": "No",
                                      "CatalogTitle": "Resources", "SortOrder": 1})
    t = site.table("CustomerCount")
    for year in range(max(2010, site.since.year), 2021):
        t.add({"CustomerCountID": t.new_id(), "CountDate": datetime(year, 1, 1),
               "CustomerCount": rng.randrange(100, 20000), "PageIdentifier": 1})


def map_setup(site: Site) -> None:
    t = site.table("IncidentMapCategory")
    site.map_categories = site.rng.sample(MAP_CATEGORIES, site.rng.randrange(4, 10))
    for name in site.map_categories:
        t.add({"IncidentMapCategoryID": t.new_id(), "IncidentMapCategoryName": name,
               "Icon": f"images/map/{name.replace(' ', '').lower()}.png", "SortOrder": t.rows})
    _, _, lat, lon = names.state_row(site.info.state)
    row: dict[str, object] = {"IncidentMapOptionsID": 1, "DefaultLatitude": lat,
                              "DefaultLongitude": lon, "DefaultZoom": 8}
    row.update({f"GenericField{i}Label": lab for i, lab in enumerate(MAP_LABELS[:7], 1)})
    site.table("IncidentMapOptions").add(row)


def survey_setup(site: Site) -> None:
    forms, questions = site.table("SurveyForm"), site.table("SurveyQuestion")
    for _ in range(site.rng.randrange(1, 4)):
        fid = forms.new_id()
        forms.add({"SurveyFormID": fid, "SurveyName": f"Customer Survey {fid}",
                   "SurveyDescription": "Help us improve our products", "Active": "True",
                   "FormTimeStamp": site.when()})
        qs = site.rng.sample(list(SURVEY_QUESTIONS), site.rng.randrange(3, 7))
        site.surveys[fid] = qs
        for q in qs:
            questions.add({"SurveyQuestionID": questions.new_id(), "SurveyFormID": fid,
                           "Question": q, "QuestionType": "Text", "SortOrder": questions.rows})


def hidta_setup(site: Site) -> None:
    t = site.table("HIDTAInitiative")
    for name in ("Investigative Support Center", "Interdiction Task Force",
                 "Money Laundering Initiative", "Prevention Program"):
        iid = t.new_id()
        site.initiatives.append(iid)
        t.add({"HIDTAInitiativeID": iid, "InitiativeName": name, "Active": "Yes",
               "Description": f"{name} of the {site.info.title}",
               "LeadAgency": names.agency(site.rng, site.info.state),
               "StartDate": site.when()})


def orphans(site: Site) -> None:
    """Files nobody points at: Windows thumbnail caches and stray uploads."""
    rng = site.rng
    for _ in range(rng.randrange(0, 3)):
        site.files.put(rng.choice(("DDF", "Uploads")), "Thumbs.db",
                       rng.randbytes(rng.randrange(2048, 40000)), site.when(), "other")
