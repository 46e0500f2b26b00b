"""Hand-written reasons that name an agency without an "assist" word, with the label a careful
reader gives them in the named searcher's own log. Written for these tests from the patterns
seen in California portal logs ("<agency acronym> <case number>", "<crime> for <City> PD",
"<county SO abbreviation> <crime>"); not drawn from any one log, and not from the table.

(reason, searching agency, label)
"""

OAKLAND = "Oakland CA PD"
ALAMEDA_SO = "Alameda County CA SO"
SAN_JOSE = "San Jose CA PD"

ASSISTS = (
    # <other agency's acronym> <case number>
    ("SJPD 26-004512", OAKLAND), ("SFPD 250123456", OAKLAND), ("HPD 25-7781", OAKLAND),
    ("ACSO 25-118823", OAKLAND), ("SMCSO case 24-33021", OAKLAND), ("CCCSO 25-1192", SAN_JOSE),
    ("LAPD DR 2501-12345", OAKLAND), ("LASD 025-11234", SAN_JOSE), ("CHP 25-11234", OAKLAND),
    ("BART PD 25-3341", OAKLAND), ("OPD 26-01628", SAN_JOSE), ("SCCSO 24-5561", OAKLAND),
    ("FPD 25-00871", OAKLAND), ("SRPD 25-4410", OAKLAND), ("OCSD 25-221034", SAN_JOSE),
    # <crime> for <City> PD
    ("burglary for Fremont PD", OAKLAND), ("stolen vehicle for San Leandro PD", OAKLAND),
    ("robbery for Berkeley police", OAKLAND), ("missing person for Alameda PD", SAN_JOSE),
    ("carjacking for Vallejo PD", OAKLAND), ("211 PC for Hayward PD", OAKLAND), ("shooting for Antioch PD", ALAMEDA_SO),
    ("catalytic converter theft for Walnut Creek PD", OAKLAND), ("homicide for Stockton police", SAN_JOSE),
    ("10851 VC for Sunnyvale PD", OAKLAND), ("hit and run per Milpitas PD", SAN_JOSE),
    # <county SO abbreviation> <crime>
    ("ACSO 459", OAKLAND), ("SMCSO burglary", SAN_JOSE), ("CCCSO homicide", OAKLAND), ("SCCSO stolen vehicle", OAKLAND),
    ("Sac SO robbery", OAKLAND), ("LASD carjacking", SAN_JOSE), ("SDSO missing person", OAKLAND),
    ("RCSD shooting", OAKLAND), ("SBSD assault 245", SAN_JOSE), ("Marin SO 10851", OAKLAND),
    ("Contra Costa SO burglary", SAN_JOSE), ("Sonoma County Sheriff robbery", OAKLAND),
    # district attorneys, probation, campus and transit police
    ("Alameda DA inv 25-1120", SAN_JOSE), ("Santa Clara County probation warrant", OAKLAND),
    ("UCPD theft", OAKLAND), ("BART police robbery", SAN_JOSE), ("SJSU PD 25-118", OAKLAND),
)

OWN = (  # the searcher's own name with its own case: own_case
    ("OPD 26-01628", OAKLAND), ("SJPD 26-004512", SAN_JOSE), ("ACSO 25-118823", ALAMEDA_SO),
    ("Oakland PD 25-4410 robbery", OAKLAND), ("ACSO 459 PC", ALAMEDA_SO), ("San Jose police 211 PC", SAN_JOSE),
    ("Alameda County Sheriff burglary 25-1191", ALAMEDA_SO),
)
