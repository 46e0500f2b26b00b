"""The reason vocabulary: terms officers write, the label each points to, and how sure.

Sources: FACTS.md ("Reasons seen in reporting": "ICE case", "HSI", "CBP", "ICE WARRANT",
"Immigration - HSI", "211PC", "10851 VC", "26-01628", "investigation", "BOL", "daytime
search for best result", "AOA"/"AOD"), plus variations seen in real portal exports and in
reporting (task-force and federal abbreviations, misspellings). Weights are judgement:
how often the term means that label in a log, not a measured rate.
"""

from __future__ import annotations

import re

# token -> (label, weight, term); phrases of several tokens: tuple -> (label, weight, term)
UNIGRAMS: dict[str, tuple[str, float, str]] = {}
PHRASES: dict[tuple[str, ...], tuple[str, float, str]] = {}
PHRASE_LENGTHS: list[int] = []
PHRASE_STARTS: set[str] = set()


def add(label: str, weight: float, *phrases: str) -> None:
    for phrase in phrases:
        words = tuple(phrase.split())
        if len(words) == 1:
            UNIGRAMS[words[0]] = (label, weight, phrase)
        else:
            PHRASES[words] = (label, weight, phrase)
            PHRASE_STARTS.add(words[0])
            if len(words) not in PHRASE_LENGTHS:
                PHRASE_LENGTHS.append(len(words))
                PHRASE_LENGTHS.sort(reverse=True)


add("immigration", 0.95, "immigration", "immigrations", "deportation", "deport", "deported", "deportable",
     "undocumented", "overstay", "uscis", "eoir", "i247", "ero", "cbp", "usbp")
add("immigration", 0.9, "border patrol", "illegal alien", "illegal aliens", "removal order",
     "order of removal", "removal proceedings", "immigration enforcement", "visa overstay",
     "customs and border", "enforcement and removal", "illegal reentry", "illegal entry")
add("immigration", 0.7, "detainer", "ins hold")
add("federal", 0.95, "fbi", "dea", "atf", "usms", "hsi", "jttf", "ocdetf", "usss", "uspis", "ncis",
     "usao", "ausa", "usdoj", "afosi", "usfws", "uscg", "interpol", "feds")
add("federal", 0.9, "homeland security", "secret service", "postal inspector", "postal inspection",
     "us attorney", "us attorneys", "us atty", "federal agent", "federal agents", "federal case",
     "federal warrant", "federal investigation", "safe streets", "army cid", "coast guard",
     "veterans affairs", "forest service", "park service", "irs ci", "us customs", "us doj",
     "fugitive task", "rftf", "pswrftf", "dhs oig", "hhs oig", "ssa oig", "va police", "va oig",
     "federal task", "federal tf", "fed tf", "federal partner", "federal partners", "tsa")
add("federal", 0.85, "federal", "fed", "dhs")
add("federal", 0.75, "tfo", "tfos", "oig")
add("federal", 0.6, "hidta")
add("out_of_state", 0.85, "oos", "out of state", "outofstate", "o o s", "interstate agency")
add("assist_other", 0.9, "aoa", "aod", "aoas", "assist", "assisting", "assisted", "asst", "assist other",
     "allied agency", "outside agency", "other agency", "another agency", "obo", "on behalf",
     "mutual aid", "agency assist", "courtesy", "req by", "requested by", "request from",
     "at the request", "per request")
add("assist_other", 0.7, "ncric", "jric", "fusion", "fusion center", "rtcc", "tf", "task force",
     "probation", "parole", "cdcr", "da inv", "da investigator", "das office", "district attorney",
     "cal doj", "cadoj", "state doj", "ca doj", "chp", "highway patrol", "state parks", "cal fire")
add("own_case", 0.95, "homicide", "murder", "robbery", "carjacking", "kidnapping", "kidnap", "amber",
     "abduction", "shooting", "shots", "stabbing", "rape", "trafficking", "burglary", "carjacked")
add("own_case", 0.9, "stolen", "theft", "burg", "assault", "adw", "missing", "misper", "runaway",
     "endangered", "narcotics", "drugs", "dui", "duii", "fraud", "forgery", "embezzlement",
     "vandalism", "arson", "firearm", "firearms", "gun", "weapon", "weapons", "brandishing",
     "threats", "stalking", "warrant", "warrants", "wanted", "uuv", "gta", "hit and run",
     "hit run", "hr", "catalytic", "sideshow", "takeover", "pursuit", "evading", "eluding",
     "felony", "misdemeanor", "icac", "extortion", "looting", "larceny", "shoplifting",
     "reckless", "dv", "domestic", "restraining", "vro", "welfare check", "welfare", "abuse",
     "exploitation", "sex offender", "sexual", "pc", "vc", "hs", "suspect", "suspects",
     "homicide suspect", "stolen vehicle", "stolen plate", "hotlist", "hot list", "alert",
     "lpr hit", "silver alert", "child", "elder", "meth", "fentanyl", "cocaine", "heroin",
     "counterfeit", "identity", "scam", "ransom", "smuggling", "poaching", "graffiti", "riot")
add("own_case", 0.7, "person crime", "property crime", "financial crime", "crime", "crimes",
     "offense", "victim", "collision", "crash", "accident", "traffic", "citation", "parking",
     "expired", "towing", "tow", "evidence", "witness")
add("vague", 0.9, "investigation", "investigations", "investigative", "investigate", "inv", "invest",
     "inves", "invs", "invest", "investig", "investigating", "bol", "bolo", "atl", "test", "testing",
     "training", "demo", "admin", "administrative", "intel", "intelligence", "info", "information",
     "lead", "leads", "follow up", "followup", "fu", "f u", "per sgt", "per lt", "search", "query",
     "lookup", "patrol", "proactive", "police", "le", "leo", "law enforcement", "official",
     "ongoing", "criminal investigation", "crim inv", "cfs", "tip", "pattern of life",
     "daytime search for best result", "best result", "more like this", "suspicious",
     "suspicious vehicle", "vehicle", "locate", "attempt to locate", "other", "misc")
MISSING_TEXT = frozenset({"", "n/a", "na", "none", "null", "nil", "-", "--", ".", "?", "0", "x",
                           "***", "redacted", "[redacted]", "tbd", "unknown", "unk"})
CASE_PLACEHOLDERS = frozenset({"", "n/a", "na", "none", "0", "00", "000", "123", "1234", "-", "--",
                                "unk", "unknown", "pending", "tbd", "x", "xx", "***", "redacted", "null"})
GENERIC_OFFENSE = frozenset({"other", "unknown", "n/a", "na", "none", "investigation", "misc",
                              "miscellaneous", "***", "redacted", ""})
FUZZY_TARGETS = ("immigration", "deportation", "homeland", "investigation", "investigations",
                  "investigative", "assisting", "marshals", "homicide", "burglary", "robbery",
                  "narcotics", "trafficking", "kidnapping", "carjacking", "warrant")
FUZZY: dict[str, str] = {}
for _word in FUZZY_TARGETS:
    FUZZY.setdefault(_word, _word)
    for _i in range(len(_word)):
        FUZZY.setdefault(_word[:_i] + _word[_i + 1:], _word)

# words that, after a state code, name an agency ("TX PD", "NV DPS", "OR State Police")
AGENCY_WORDS = frozenset("pd so sd police sheriff sheriffs sheriff's dps da doj hp highway state "
                          "dept department agency authorities le leo metro marshal marshals "
                          "task tf ag troopers trooper patrol county co cops".split())
WORDLIKE_CODES = frozenset("in or me oh hi ok pa de al id ma mo md ms la ne va co sc sd ca".split())
# out-of-state agencies and cities written without a state, and in-state ones
KNOWN_AGENCIES = {"lvmpd": "NV", "nhp": "NV", "wsp": "WA", "osp": "OR", "azdps": "AZ", "txdps": "TX",
                   "nypd": "NY", "cpd": None, "nvdps": "NV", "chp": "CA", "ncric": "CA", "lapd": "CA",
                   "sfpd": "CA", "sjpd": "CA", "sdpd": "CA", "lasd": "CA", "ocsd": "CA", "sdso": "CA",
                   "opd": None, "ospd": None}
CITIES = {"reno": "NV", "sparks": "NV", "carson city": "NV", "las vegas": "NV", "henderson": "NV",
           "north las vegas": "NV", "washoe": "NV", "elko": "NV", "phoenix": "AZ", "tucson": "AZ",
           "yuma": "AZ", "scottsdale": "AZ", "tempe": "AZ", "maricopa county": "AZ", "pima": "AZ",
           "portland": "OR", "medford": "OR", "grants pass": "OR", "eugene": "OR", "salem": "OR",
           "klamath falls": "OR", "seattle": "WA", "tacoma": "WA", "spokane": "WA", "boise": "ID",
           "salt lake": "UT", "houston": "TX", "dallas": "TX", "austin": "TX", "san antonio": "TX",
           "el paso": "TX", "chicago": "IL", "miami": "FL", "atlanta": "GA", "denver": "CO",
           "albuquerque": "NM", "detroit": "MI", "oakland": "CA", "san francisco": "CA",
           "san jose": "CA", "los angeles": "CA", "sacramento": "CA", "san diego": "CA",
           "fresno": "CA", "hayward": "CA", "berkeley": "CA", "richmond": "CA", "vallejo": "CA"}
DRUG_CONTEXT = frozenset("meth methamphetamine narcotics narcotic drug drugs sales sale possession "
                          "poss dealer dealing hs 11377 11378 11379 11350 11351 grams oz".split())
NEGATIONS = frozenset({"not", "no", "non", "never", "without"})
TOKEN = re.compile(r"[A-Za-z][A-Za-z']*|\d+")
CODE_SECTION = re.compile(
    r"\b\d{2,5}(?:\.\d+)?(?:\s?\([a-z0-9]{1,3}\))*\s?(?:p\.?c|v\.?c|h\.?s|hsc|h&s|wic?|b&p|bp|ors|rcw|ars)\b"
    r"|\b(?:pc|vc|hs|ors|rcw|ars)\s?\d{2,5}(?:\.\d+)?\b")
CASE_NUMBER = re.compile(r"\b\d{2,4}-\d{3,8}\b|\b[a-z]{1,4}\d{2}-?\d{4,8}\b|\b\d{6,10}\b|"
                          r"\b(?:case|cr|dr|rpt|report|incident|inc|event|cad)\s?(?:#|no\.?|number)?\s?\d{3,}")
HAS_DIGIT = re.compile(r"\d").search
USC_1326 = re.compile(r"\b8\s?u\.?s\.?c\.?\s?(?:§\s?)?13(?:25|26)\b|\b1326\b")
