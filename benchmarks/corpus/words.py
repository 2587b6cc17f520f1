"""Word lists and sentence templates for bulletin-style prose.

Templates use ``{slot}`` fields that :mod:`benchmarks.corpus.text` fills with the seeded RNG.
Common words recur everywhere; the ``RARE`` list and generated code names give search a long
tail of terms that occur in only a handful of documents.
"""

from __future__ import annotations

CAVEATS = (
    "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
    "UNCLASSIFIED//LAW ENFORCEMENT SENSITIVE",
    "UNCLASSIFIED",
    "LAW ENFORCEMENT SENSITIVE - DO NOT DISSEMINATE TO THE PUBLIC",
    "FOR OFFICIAL USE ONLY",
)
DRUGS = ("fentanyl", "methamphetamine", "heroin", "cocaine", "marijuana", "counterfeit oxycodone",
         "carfentanil", "MDMA", "synthetic cannabinoids", "xylazine", "crack cocaine")
WEAPONS = ("handgun", "rifle", "knife", "improvised explosive device", "pipe bomb", "shotgun",
           "ghost gun", "taser", "modified airsoft pistol", "pen gun", "belt-buckle knife")
VEHICLES = ("sedan", "pickup truck", "SUV", "cargo van", "motorcycle", "box truck", "minivan",
            "tractor-trailer", "hatchback", "rental car")
COLORS = ("black", "white", "silver", "gray", "dark blue", "red", "green", "tan", "maroon")
MALWARE = ("Emotet", "TrickBot", "Ryuk", "Maze", "REvil", "Dridex", "QakBot", "NetWalker",
           "LokiBot", "AgentTesla", "DoppelPaymer", "Zeus", "NanoCore")
PLATFORMS = ("Facebook", "Twitter", "Instagram", "Telegram", "Discord", "Reddit", "YouTube",
             "Snapchat", "a public messaging forum", "an encrypted messaging app")
INFRA = ("electrical substation", "water treatment plant", "cell tower", "rail yard",
         "natural gas pipeline", "hospital", "port facility", "dam", "refinery",
         "data center", "interstate overpass", "courthouse", "federal building")
EVENTS = ("county fair", "marathon", "music festival", "football game", "parade",
          "political rally", "holiday market", "air show", "graduation ceremony", "concert")
VENUES = ("convention center", "stadium", "fairgrounds", "civic plaza", "city park",
          "arena", "university campus", "waterfront", "downtown mall")
COURSES = ("Active Shooter Response", "Basic Intelligence Analysis", "Crisis Negotiation",
           "Drug Interdiction", "Social Media Investigations", "Terrorism Liaison Officer Basic",
           "Critical Incident Management", "Gang Identification", "Open Source Intelligence",
           "Human Trafficking Awareness", "Cyber Crime First Responder", "Tactical Medicine",
           "Interview and Interrogation", "Surveillance Detection", "Grant Writing for Agencies")
GROUPS_HEAD = ("Iron", "Black", "Red", "Northern", "Free", "White", "Blue", "Crimson", "Silent",
               "Patriot", "Sovereign", "Liberty", "Shadow", "Storm", "Eastside", "Westside")
GROUPS_TAIL = ("Brotherhood", "Collective", "Front", "Syndicate", "Crew", "Militia", "Network",
               "Kings", "Riders", "Cartel", "Posse", "Union", "Cell", "Movement")
CODE_SYLL = ("kes", "tral", "vor", "ax", "mun", "dri", "zel", "quo", "bran", "tor", "lyx",
             "pha", "ren", "gol", "sid", "umb", "cal", "nix", "ter", "vo", "jar", "hul", "ost")
RARE = (
    "carfentanil", "xylazine", "nitazene", "bromazolam", "thermite", "geofence", "skimmer",
    "shimmer", "lidar", "sovereign-citizen", "swatting", "doxxing", "credential-stuffing",
    "spear-phishing", "exfiltration", "cryptojacking", "steganography", "pentaerythritol",
    "triacetone", "ammonium-nitrate", "drone-swarm", "jammer", "stingray", "ALPR", "NIBIN",
    "eTrace", "CODIS", "NCIC", "fentanyl-analogue", "pill-press", "ghost-kitchen", "mule-account",
    "bitcoin-ATM", "darknet", "Tor-hidden-service", "SIM-swapping", "RFID-skimming",
    "zip-tie-cuffs", "ballistic-shield", "tourniquet", "naloxone", "Narcan", "PPE",
    "N95", "telework", "contact-tracing", "quarantine-order", "hurricane-surge", "red-flag-warning",
)
KEYWORDS = (
    "officer safety", "situational awareness", "critical infrastructure", "terrorism",
    "suspicious activity", "narcotics", "cyber", "COVID-19", "training", "protest",
    "civil unrest", "human trafficking", "gangs", "fraud", "school safety", "BOLO",
    "missing person", "weather", "special event", "firearms", "explosives", "drones",
)

GENERIC = (
    "Law enforcement officers should remain alert to {threat} in and around {town}.",
    "Agencies are encouraged to share this information with personnel assigned to {unit}.",
    "Any suspicious activity should be reported to the {site_title} at {phone} or {email}.",
    "This information is provided for situational awareness and officer safety purposes only.",
    "There is no specific or credible threat to {town} at this time; however, {threat} remains "
    "a concern for {agency}.",
    "Partners with information on this matter are asked to reference case number {case}.",
    "The {agency} continues to monitor the situation and will provide updates as warranted.",
    "Recipients should not release this product to the media or the general public.",
    "Open source reporting on {platform} indicates increased discussion of {topic_word} "
    "since {date}.",
    "Analysts assess with moderate confidence that the activity will continue through {month}.",
    "The {rare} reference in the original reporting has not been independently corroborated.",
    "Approximately {n} agencies across {state} received the initial notification on {date}.",
    "Please direct questions regarding this product to {person}, {title}, at {phone}.",
)

TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "officer_safety": {
        "category": ("Officer Safety",),
        "titles": (
            "Officer Safety Bulletin: {weapon_t} Concealed in {vehicle_t}",
            "Officer Safety Alert - Ambush Threats Against Patrol Units in {town}",
            "Officer Safety: Exposure to {drug_t} During Traffic Stops",
            "Officer Safety Awareness: {codename} Subject Considered Armed and Dangerous",
        ),
        "sentences": (
            "On {date}, officers in {town} recovered a {weapon} concealed inside a {color} "
            "{vehicle} bearing license plate {plate}.",
            "The subject, who identified himself as {person}, stated he carried the {weapon} "
            "for protection.",
            "Officers should use caution when approaching {vehicle}s with aftermarket "
            "compartments near the {infra}.",
            "During a traffic stop on {street}, a deputy was exposed to a powder later "
            "identified as {drug} and was treated with naloxone.",
            "Recent posts on {platform} encouraged followers to target officers responding to "
            "calls for service in {town}.",
            "The {weapon} resembled an everyday object and was not detected during the initial "
            "pat-down.",
            "Officers are reminded to wear body armor and to request backup when contacting "
            "subjects associated with the {group}.",
            "At least {n} incidents involving {weapon}s disguised as consumer products were "
            "reported in {state} between {month} and {month2}.",
        ),
    },
    "intel": {
        "category": ("Intelligence Bulletins", "Terrorism"),
        "titles": (
            "Intelligence Bulletin: {group} Activity Targeting {infra_t}s",
            "Situational Awareness: Threats to {infra_t}s in {state_name}",
            "Joint Intelligence Bulletin - Homegrown Violent Extremist Messaging on {platform}",
            "Special Assessment: {codename} Network and {rare}",
        ),
        "sentences": (
            "The {group} has called for attacks on {infra}s in {state} via {platform}.",
            "Individuals associated with the {group} conducted surveillance of a {infra} near "
            "{town} on {date}.",
            "Indicators include photographing security features, testing perimeter access, and "
            "flying drones over the {infra}.",
            "Reporting from {agency} suggests members acquired materials consistent with a "
            "{weapon}.",
            "Analysts have identified {n} online accounts promoting the {codename} narrative "
            "since {month}.",
            "The individual, known online as {moniker}, has expressed grievances against "
            "government officials and the {agency}.",
            "Federal partners assess that lone offenders remain the most likely threat to "
            "{event}s and similar soft targets.",
            "A suspicious {color} {vehicle} with plate {plate} was observed near the {infra} "
            "on {date} at {time}.",
        ),
    },
    "protest": {
        "category": ("Civil Unrest", "Special Events"),
        "titles": (
            "Planned Demonstrations in {town} - {date_t}",
            "Situational Awareness: Civil Unrest and Protest Activity Statewide",
            "Protest Activity Update #{n} - {state_name}",
            "First Amendment Protected Events: {event_t} Weekend",
        ),
        "sentences": (
            "Organizers on {platform} announced a march beginning at the {venue} in {town} on "
            "{date} at {time}.",
            "Between {n} and {n2} participants are expected, based on online RSVP counts.",
            "Most demonstrations have remained peaceful; however, isolated incidents of "
            "vandalism were reported on {street}.",
            "Some participants were observed carrying {weapon}s, umbrellas, and shields.",
            "Agencies should anticipate traffic disruptions around the {venue} and nearby "
            "{infra}s.",
            "The hashtag #{hashtag} trended locally after footage from {town} circulated on "
            "{platform}.",
            "All persons have the constitutional right to peacefully assemble; this product "
            "does not target protected activity.",
            "Mutual aid requests were submitted by {agency} to support crowd management.",
        ),
    },
    "cyber": {
        "category": ("Cyber", "Intelligence Bulletins"),
        "titles": (
            "Cyber Alert: {malware} Ransomware Targeting Local Governments",
            "Cyber Threat Advisory - Phishing Campaign Impersonating {agency_t}",
            "Vulnerability Notice: {cve} Actively Exploited",
            "Cyber Bulletin: {codename} Credential Harvesting Operation",
        ),
        "sentences": (
            "The {malware} malware was delivered through phishing e-mails with the subject "
            "line '{subject}'.",
            "Threat actors exploited {cve} to gain initial access to public-facing servers.",
            "Observed command-and-control traffic originated from {ip} and {ip2}.",
            "At least {n} municipalities in {state} reported encrypted file shares on {date}.",
            "Administrators should patch affected systems, enforce multi-factor authentication, "
            "and review remote desktop exposure.",
            "The campaign used look-alike domains such as {domain} to harvest credentials.",
            "Indicators of compromise include the file name {filename} and the hash "
            "{hash}.",
            "Victims received ransom notes demanding payment in bitcoin within {n} hours.",
        ),
    },
    "covid": {
        "category": ("COVID-19", "Public Health"),
        "titles": (
            "COVID-19 Guidance for First Responders (Updated {date_t})",
            "COVID-19 Situational Report #{n}",
            "Coronavirus (COVID-19) Scams and Fraud Targeting {state_name} Residents",
            "COVID-19: PPE Supply and Distribution Update",
        ),
        "sentences": (
            "As of {date}, {state} has reported {n2} confirmed cases of COVID-19.",
            "First responders should wear N95 respirators, gloves, and eye protection when "
            "contact with symptomatic persons is likely.",
            "Criminals are exploiting the pandemic by selling counterfeit PPE and fake test kits "
            "online.",
            "The {agency} has moved to telework for non-essential staff until further notice.",
            "Stay-at-home orders remain in effect in {town} through {month}.",
            "Reports of price gouging on hand sanitizer and masks should be forwarded to the "
            "state attorney general.",
            "Jails in {state} have reduced intake to limit transmission of the coronavirus.",
            "Officers exposed to a confirmed case should notify their supervisor and follow "
            "public health quarantine guidance.",
        ),
    },
    "training": {
        "category": ("Training", "Events"),
        "titles": (
            "Training Announcement: {course}",
            "{course} Course - {town}, {state} - {date_t}",
            "Registration Open: {course} for Law Enforcement",
            "Webinar: {course} ({date_t})",
        ),
        "sentences": (
            "The {course} course will be held at the {venue} in {town} on {date}.",
            "This {n}-hour course is open to sworn law enforcement and intelligence personnel.",
            "Attendees will learn practical techniques for {topic_word} investigations.",
            "Registration closes on {date}; seating is limited to {n2} participants.",
            "The course is presented at no cost to attendees by the {site_title}.",
            "POST credit of {n} hours has been approved for this training.",
            "For questions about registration please contact {person} at {email}.",
            "Lodging is available at a government rate near the {venue}.",
        ),
    },
    "narcotics": {
        "category": ("Narcotics", "HIDTA"),
        "titles": (
            "Drug Trend Alert: {drug_t} Pressed Pills in {town}",
            "HIDTA Intelligence Report: {drug_t} Trafficking Corridors",
            "Overdose Spike Notification - {town}",
            "Seizure Summary: Operation {codename}",
        ),
        "sentences": (
            "Investigators seized {n} kilograms of {drug} from a {vehicle} on {street}.",
            "Blue pills marked 'M30' that tested positive for {drug} were recovered in {town}.",
            "Overdose calls in {town} increased by {pct} percent during the week of {date}.",
            "The organization used rental {vehicle}s to move shipments along the interstate.",
            "Proceeds were laundered through shell companies and a {rare}.",
            "Operation {codename} resulted in {n} arrests and the seizure of {n2} dollars.",
            "Officers should be aware that {drug} may be mixed with {drug2}.",
            "The subject, {person}, was stopped driving a {color} {vehicle} with plate {plate}.",
        ),
    },
    "trafficking": {
        "category": ("Human Trafficking",),
        "titles": (
            "Human Trafficking Indicators at {event_t}s",
            "Human Trafficking Task Force Quarterly Report",
            "Awareness Bulletin: Online Advertisements Linked to Trafficking in {town}",
        ),
        "sentences": (
            "Indicators of trafficking include individuals who lack control of their "
            "identification documents.",
            "Online advertisements posted on {platform} used coded language and recycled "
            "photographs.",
            "The task force identified {n} potential victims during the {event} in {town}.",
            "Hotel staff near the {venue} reported suspicious check-in patterns on {date}.",
            "Victim service providers were present at all operations conducted by {agency}.",
            "Tips can be submitted anonymously to the task force at {phone}.",
        ),
    },
    "gangs": {
        "category": ("Gangs", "Intelligence Bulletins"),
        "titles": (
            "Gang Intelligence Brief: {group} Expansion into {town}",
            "Gang Activity Update - Retaliation Concerns Following {date_t} Shooting",
        ),
        "sentences": (
            "The {group} has been linked to {n} shootings in {town} since {month}.",
            "Members display tattoos and hand signs referencing the {group}.",
            "A member known by the moniker {moniker} is believed to be recruiting juveniles.",
            "Retaliation is possible following the shooting on {street} on {date}.",
            "Graffiti associated with the {group} was documented near the {venue}.",
            "Intelligence indicates the {group} sources firearms through straw purchasers.",
        ),
    },
    "emergency": {
        "category": ("Emergency Management", "Weather"),
        "titles": (
            "Hurricane Preparedness Briefing - {state_name}",
            "Wildfire Situational Awareness: {town} Area",
            "Severe Weather Outlook and Resource Staging",
            "Special Event Threat Assessment: {event_t} in {town}",
        ),
        "sentences": (
            "The National Weather Service has issued a red-flag-warning for {town} through "
            "{date}.",
            "Evacuation routes along {street} may be congested; agencies should plan "
            "accordingly.",
            "The emergency operations center will activate at level {n} on {date} at {time}.",
            "Approximately {n2} residents are within the projected impact zone.",
            "The {event} at the {venue} is expected to draw {n2} attendees.",
            "There is no known specific threat to the {event}; however, {threat} remains a "
            "concern.",
            "Unmanned aircraft are prohibited over the {venue} during the event.",
        ),
    },
    "bolo": {
        "category": ("BOLO", "Missing Persons"),
        "titles": (
            "BOLO: Stolen {vehicle_t} - Plate {plate}",
            "Attempt to Locate: Missing Person from {town}",
            "Wanted Subject: {person} (Case {case})",
        ),
        "sentences": (
            "Be on the lookout for a {color} {vehicle} bearing plate {plate}, last seen on "
            "{street} in {town}.",
            "The subject, {person}, is wanted for questioning in case {case}.",
            "The missing person was last seen on {date} near the {venue}.",
            "If located, detain and contact {agency} at {phone}; reference case {case}.",
            "The vehicle may contain a {weapon}; use caution when approaching.",
            "A photograph of the subject is attached to this bulletin.",
        ),
    },
}

SECTION_HEADS = (
    "(U) Summary", "(U//FOUO) Details", "(U) Key Findings", "(U) Background",
    "(U) Officer Safety Considerations", "(U) Recommendations", "(U) Analyst Comment",
    "(U) Reporting Notice", "(U) Outlook", "(U) Indicators",
)
THREATS = ("lone offenders", "vehicle ramming attacks", "targeted violence",
           "cyber intrusions", "narcotics exposure", "copycat incidents", "vandalism",
           "hoax threats", "unauthorized drone flights", "impersonation of officials")
UNITS = ("patrol", "investigations", "school resource officers", "dispatch",
         "critical infrastructure protection", "the bomb squad", "SWAT", "corrections staff")
SUBJECTS = ("Invoice overdue", "COVID-19 relief payment", "Payroll update", "Scanned document",
            "Urgent: account verification", "Voicemail received", "Shipping notice")
