"""How officers write the reason for a search, honestly or not (FACTS.md vocabulary)."""

from __future__ import annotations

import numpy as np

# (reason text, offense type) pairs seen in local logs: code sections, crime words.
LOCAL_REASONS: tuple[tuple[str, str], ...] = (
    ("211PC", "Robbery"), ("211 PC robbery", "Robbery"), ("245(a)(2)PC", "Assault"),
    ("ADW 245", "Assault"), ("10851 VC", "Stolen Vehicle"), ("10851VC stolen veh", "Stolen Vehicle"),
    ("stolen vehicle", "Stolen Vehicle"), ("Stolen veh recovery", "Stolen Vehicle"), ("robbery", "Robbery"),
    ("robery suspect veh", "Robbery"), ("missing person", "Missing Person"), ("Missing juvenile", "Missing Person"),
    ("187 PC", "Homicide"), ("homicide inv", "Homicide"), ("459 PC burglary", "Burglary"),
    ("burglary suspect", "Burglary"), ("hit and run 20001 VC", "Hit and Run"), ("20002 VC H&R", "Hit and Run"),
    ("shooting 246 PC", "Shooting"), ("carjacking 215", "Carjacking"), ("sideshow 23109 VC", "Reckless Driving"),
    ("catalytic converter theft", "Theft"), ("487 grand theft", "Theft"), ("DV 273.5", "Domestic Violence"),
    ("kidnapping 207", "Kidnapping"), ("Amber Alert", "Missing Person"), ("hotlist hit follow up", "Stolen Vehicle"),
)
VAGUE_REASONS: tuple[str, ...] = ("investigation", "inv", "Investigative", "BOL", "AOA", "AOD", "assist",
                                  "daytime search for best result", "follow up", "case", "info")
HONEST_FEDERAL: dict[str, tuple[str, ...]] = {
    "ice-ero": ("ICE case", "ICE", "ICE+ERO", "ICE WARRANT", "Immigration - ICE", "immigration"),
    "hsi": ("HSI", "Immigration - HSI", "assist HSI", "HSI investigation"),
    "cbp": ("CBP", "assist CBP", "border patrol request"),
    "fbi": ("assist FBI", "FBI fugitive", "FBI case"),
    "dea": ("DEA narcotics", "assist DEA", "DEA TF"),
    "atf": ("ATF firearms", "assist ATF", "ATF trace"),
    "usms": ("USMS warrant", "US Marshals fugitive", "assist US Marshall"),
}
TASK_FORCE_REASONS: tuple[tuple[str, str], ...] = (
    ("narcotics investigation", "Narcotics"), ("fugitive apprehension", "Warrant"), ("TF case", "Narcotics"),
    ("firearms trafficking", "Weapons"), ("gang investigation", "Gang"),
)
OUT_OF_STATE_HONEST = ("assist {name}", "{state} agency request", "OOS request {name}")


def case_number(rng: np.random.Generator, year: int = 25) -> str:
    style = rng.integers(0, 3)
    if style == 0:
        return f"{year}-{int(rng.integers(1, 99999)):05d}"
    if style == 1:
        return f"{year}{int(rng.integers(100000, 999999))}"
    return f"RD{year}-{int(rng.integers(1000, 9999))}"


def local_reason(rng: np.random.Generator, vague_share: float = 0.2) -> tuple[str, str | None]:
    """A legitimate local reason and offense type; some officers write vaguely."""
    if rng.random() < vague_share:
        return str(rng.choice(VAGUE_REASONS)), None
    reason, offense = LOCAL_REASONS[int(rng.integers(len(LOCAL_REASONS)))]
    return reason, offense


def honest_reason(rng: np.random.Generator, beneficiary: str, name: str, state: str) -> str:
    choices = HONEST_FEDERAL.get(beneficiary)
    if choices:
        return str(rng.choice(choices))
    return str(rng.choice(OUT_OF_STATE_HONEST)).format(name=name, state=state)


def vague_reason(rng: np.random.Generator) -> str:
    return str(rng.choice(("investigation", "AOA", "AOD", "assist", "inv", "follow up", "BOL")))


def disguised_reason(rng: np.random.Generator) -> tuple[str, str]:
    """A local-looking purpose invented for someone else's search."""
    reason, offense = LOCAL_REASONS[int(rng.integers(len(LOCAL_REASONS) - 1))]
    return reason, offense
