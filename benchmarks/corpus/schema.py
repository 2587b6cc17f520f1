"""The shared CMS schema: table names and their columns (the same for every site and seed).

Content tables have hand-written column lists taken from the layout notes; every other table
gets ``<Table>ID`` plus a stable pseudo-random pick of the CMS's most common columns, seeded by
the table name only, so all sites run "the same schema" as the real portals did.
"""

from __future__ import annotations

import random
from functools import lru_cache

ALWAYS = ("Company", "Style", "SecurityOptions", "CatalogOptions", "CustomerCount")

_N = range(1, 31)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CONTENT: dict[str, tuple[str, ...]] = {
    "Documents": (
        "DocumentID", "DocFilename", "DocFileName2", "Author", "DateEntered", "DocTitle",
        "Description", "ShortDescription", "Keywords", "DocumentCategoryID", "URL",
        "PreviewImage", "YoutubeLink", "DeleteDate", "SortOrder", "Featured", "SecureDocument",
        "ViewCount", "PageIdentifier", "CSS", "FormTimeStamp", "InternalNotes", "GUID"),
    "DocumentCategory": (
        "DocumentCategoryID", "DocumentCategoryParentID", "CategoryName", "CategoryDescription",
        "SecureDocumentCategory", "SortOrder", "CSS", "PageIdentifier"),
    "SARs": (
        "SARsid", "FormTimeStamp", "Category", "FirstName", "LastName", "fullname",
        "AgencyOrganizationName", "PhoneNumber", "Email", "County", "City", "State",
        "IncidentDate", "IncidentTime", "ShortDescription", "BriefSummary", "CaseNumber",
        "Subjects", "SubjectIdentification", "SubjectInformation", "VehicleInformation",
        "NSFormName", *(f"File{i}" for i in range(1, 7)), *(f"File{i}Name" for i in range(1, 7)),
        "Attachment", "guid", "IPAddress", "NSTrackingNumber", "Problem", "Status",
        "LocationAddress", "ZipCode", "Latitude", "Longitude", "ReportingPersonTitle",
        "LawEnforcementNotified", "AgencyNotified", "Weapons", "InternalNotes", "AssignedTo",
        "DateClosed", "Disposition", "SortOrder", "CSS", "PageIdentifier", "Source"),
    "EmailBuilder": (
        "EmailBuilderID", "EmailName", "EmailFrom", "EmailFromName", "EmailSubject", "EmailBody",
        "EmailTable", "SentEmailList", "CustomEmailList", "Approved", "ApprovedBy", "DateSent",
        "FormTimeStamp", *(f"Attachment{i}" for i in range(1, 16)), "CreatorEmail",
        "EventBuilderID", "EmailCount", "BounceCount", "OpenCount", "Template", "ReplyTo",
        "CSS", "PageIdentifier", "InternalNotes", "GUID"),
    "Registrations": (
        "Registrationsid", "FormTimeStamp", "FirstName", "LastName", "FullName",
        "PositionTitleRank", "AgencyOrganization", "AgencyType", "Address1", "Address2", "City",
        "State", "ZipCode", "County", "EmailAddress", "WorkPhone", "MobilePhone",
        "SupervisorFullName", "SupervisorEmailAddress", "SupervisorPhone", "Password",
        "MemberType", "ApprovedMenu", "Approved", "ApprovedBy", "IPAddress", "LastUpdate",
        "LastLogin", "LoginCount", "BadgeNumber", "YearsOfService", "InternalNotes", "GUID",
        *(f"{a}{b}" for a in ("Interest", "TaskForce", "Notify", "Member") for b in (
            "Cyber", "Terrorism", "Narcotics", "Gangs", "Fire", "EMS", "PublicHealth",
            "Schools", "Transit", "Maritime", "Aviation", "Agriculture", "Energy", "Water",
            "Finance", "Healthcare", "Corrections", "Courts", "Tribal", "Military",
            "Campus", "PrivateSector", "Hospitality", "Retail", "Sports", "Faith",
            "Infrastructure", "Training", "Events", "Intelligence", "Analysts", "TLO",
            "Executive", "Dispatch", "Probation", "Parole", "Wildlife", "Ports"))),
    "Requests": (
        "Requestsid", "FormTimeStamp", "NSFormName", "FirstName", "LastName",
        "AgencyOrganizationName", "EmailAddress", "PhoneNumber", "RequestType", "Priority",
        "CaseNumber", "Subjects", "Description", "DateNeeded", *(f"File{i}" for i in range(1, 7)),
        *(f"File{i}Name" for i in range(1, 7)), "IPAddress", "Status", "AssignedTo",
        "DateCompleted", "guid", "NSTrackingNumber", "InternalNotes"),
    "IncidentMap": (
        "IncidentMapID", "ProblemDate", "Longitude", "Latitude", "Category", "Address", "City",
        "State", "Description", *(f"GenericField{i}" for i in _N),
        *(f"File{i}" for i in range(1, 11)), *(f"Thumbnail{i}" for i in range(1, 11)),
        "Suspect", "Race", "Gender", "DateOfBirth", "Height", "Weight", "MostWanted",
        "FormTimeStamp", "EnteredBy", "IPAddress", "Approved", "GUID"),
    "IncidentMapCategory": (
        "IncidentMapCategoryID", "IncidentMapCategoryName", "Icon", "SortOrder", "Color"),
    "IncidentMapOptions": (
        "IncidentMapOptionsID", *(f"GenericField{i}Label" for i in _N), "DefaultLatitude",
        "DefaultLongitude", "DefaultZoom"),
    "Survey": ("SurveyID", "SurveyFormID", "FormTimeStamp", "SurveyData", "EmailAddress",
               "IPAddress", "GUID"),
    "SurveyForm": ("SurveyFormID", "SurveyName", "SurveyDescription", "Active", "FormTimeStamp"),
    "SurveyQuestion": ("SurveyQuestionID", "SurveyFormID", "Question", "QuestionType",
                       "SortOrder"),
    "SecureMenuLog": ("SecureMenuLogID", "FormTimeStamp", "EmailAddress", "IPAddress",
                      "PageName", "MenuGroup", "UserAgent", "Success"),
    "FormBuilder": ("FormBuilderID", "FormName", "FormTitle", "FormDescription", "EmailTo",
                    "Approved", "SortOrder", "CSS", "PageIdentifier", "FormTimeStamp"),
    "EventBuilder": (
        "EventBuilderID", "FormName", "EventTitle", "EventDescription", "EventDate",
        "EventEndDate", "EventLocation", "Address1", "City", "State", "ContactName",
        "ContactEmail", "ContactPhone", "MaxRegistrations", "FlyerPDF", "PostEventRoster",
        "Approved", "FormTimeStamp", "CSS", "PageIdentifier", "GUID"),
    "EventRegistration": (
        "EventRegistrationID", "EventFormName", "FormTimeStamp", "FirstName", "LastName",
        "EmailAddress", "AgencyOrganization", "PositionTitleRank", "PhoneNumber", "City",
        "State", "Attended", "IPAddress", "GUID"),
    "EventPDF": ("EventPDFID", "EventBuilderID", "PDFFile", "PDFTitle", "SortOrder"),
    "DocumentDownload": ("DocumentDownloadID", "DocumentID", "EmailAddress", "IPAddress",
                         "FormTimeStamp"),
    "ImageGalleryImage": ("ImageGalleryImageID", "ImageGalleryID", "ImageTitle", "Caption",
                          "BigPicture", "Thumbnail", "SortOrder", "FormTimeStamp"),
    "Blog": ("BlogID", "BlogCategoryID", "BlogTitle", "BlogBody", "Author", "DatePosted",
             "Approved", "PageIdentifier", "CSS"),
    "BlogCategory": ("BlogCategoryID", "CategoryName", "SortOrder"),
    "HIDTAInitiative": ("HIDTAInitiativeID", "InitiativeName", "Description", "LeadAgency",
                        "StartDate", "Active"),
    "HIDTAInventory": ("HIDTAInventoryID", "HIDTAInitiativeID", "ItemDescription",
                       "SerialNumber", "Quantity", "UnitValue", "DateAcquired", "AssignedTo"),
    "TaskForce": ("TaskForceID", "TaskForceName", "Description", "SortOrder"),
    "RegistrationsToTaskForce": ("RegistrationsToTaskForceID", "Registrationsid",
                                 "TaskForceID"),
    "Company": ("CompanyID", "CompanyName", "Address1", "City", "State", "ZipCode", "Phone",
                "Fax", "EmailAddress", "URL", "Logo", "Disclaimer"),
    "Style": ("StyleID", "StyleName", "BackgroundColor", "FontFamily", "FontColor",
              "LinkColor", "HeaderImage", "CSS"),
    "SecurityOptions": ("SecurityOptionsID", "PasswordMinLength", "PasswordExpireDays",
                        "LockoutAttempts", "TwoFactor", "SessionTimeout"),
    "CatalogOptions": ("CatalogOptionsID", "ShowPrices", "CatalogTitle", "SortOrder"),
    "CustomerCount": ("CustomerCountID", "CountDate", "CustomerCount", "PageIdentifier"),
}

_REAL_OTHERS = _words(
    "911Centers 911CentersBackup2 911CentersBackup3 911CentersBackup4 AccessRequests "
    "ActivityLog AdminUsers Advertisements AgencyNames AgencyTypes Alerts AlertsCategory "
    "Announcements Associates AssociatesInterests AssociatesSecure AuditLog Banners "
    "BlogComments Bookmarks BulletinBoard Calendar CalendarCategory Careers Catalog "
    "CatalogCategory CatalogOrders CatalogOrderItems Chat ChatRooms Classifieds ContactUs "
    "Contacts Counties Coupons CrimeStats CrimeTips DeconflictionEvents Document2Category "
    "Documents2 Documents3 DownloadLog EmailAccounts EmailBuilderOptions EmailLists "
    "EmailTemplates EmergencyContacts Employees EventBuilderOptions EventCategory "
    "EventSessions EventSpeakers EventSponsors Exhibitors FAQ FAQCategory Feedback "
    "FieldInterviews FileCabinet FormBuilderFields FormBuilderOptions ForumPosts ForumTopics "
    "Glossary Grants HIDTAInitiative HIDTAInventory HIDTAPersonnel HomePage ImageGallery "
    "Instructors JobPostings KeyContacts Leads LibraryItems Links LinksCategory Locations "
    "LoginAttempts Mailings MapLayers MediaReleases MeetingMinutes MemberDirectory MenuGroup "
    "MenuItems MissingPersons MostWanted News NewsCategory Newsletter NewsletterSignup "
    "Notifications OfficerMemorial Pages PageViews Partners PasswordReset Photos Podcasts "
    "PollAnswers Polls PressReleases Products Publications RSSFeeds RegistrationsToTaskForce "
    "Resources RoleAssignments Roles RollCall SARCategories ScheduledEmails SearchLog Sectors "
    "SiteMap Speakers Sponsors States StolenProperty Subscriptions SupportTickets TaskForce "
    "Testimonials TipCategories TrainingCourses TrainingRecords Translations TravelRequests "
    "Uploads UserGroups Vendors VideoGallery Videos Vehicles Volunteers WebForms Webinars "
    "WidgetSettings Workshops ZipCodes"
)
_SUFFIXES = ("Options", "Backup", "Archive", "Log", "Settings", "Category", "2", "Temp")
COMMON_COLUMNS = (
    "CSS", "PageIdentifier", "SortOrder", "IPAddress", "EmailAddress", "Description", "URL",
    "City", "State", "AssociateID", "FirstName", "LastName", "FormTimeStamp", "Password",
    "InternalNotes", "GUID", "Title", "Name", "Phone", "Approved", "Active", "DateEntered",
    "LastUpdate", "ZipCode", "Address1", "Notes", "Status", "Category", "Image", "Comments",
)


@lru_cache(maxsize=1)
def table_pool() -> tuple[str, ...]:
    """About 270 distinct table names: content tables, real-looking ones, suffixed variants."""
    rng = random.Random("trawl-schema")
    names = list(dict.fromkeys([*CONTENT, *_REAL_OTHERS]))
    seen = {n.lower() for n in names}
    bases = [b for b in _REAL_OTHERS if not b[-1].isdigit()]
    while len(names) < 270:
        cand = rng.choice(bases) + rng.choice(_SUFFIXES)
        if cand.lower() not in seen:
            seen.add(cand.lower())
            names.append(cand)
    return tuple(names)


@lru_cache(maxsize=512)
def columns(table: str) -> tuple[str, ...]:
    if table in CONTENT:
        return CONTENT[table]
    rng = random.Random(f"trawl-columns:{table}")
    key = f"{table}ID" if rng.random() < 0.8 else f"{table}id"
    picked = rng.sample(COMMON_COLUMNS, rng.randrange(3, 16))
    return (key, *picked)


def site_tables(rng: random.Random) -> list[str]:
    """The 206..244 tables of one site: the required and content ones plus a random subset."""
    pool = table_pool()
    must = list(dict.fromkeys([*ALWAYS, *CONTENT]))
    rest = [t for t in pool if t not in must]
    count = rng.randrange(206, 245)
    return must + sorted(rng.sample(rest, count - len(must)))
