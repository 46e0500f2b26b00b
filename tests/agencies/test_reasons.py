"""The reason writer: its shares, its truth, and its adversarial and innocent wording."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from agencies.reasons import (
    INNOCENT_REASONS,
    REASON_MIX,
    VAGUE_REASONS,
    ReasonMix,
    adversarial_spellings,
    evade_filters,
    misspell,
    proxy_reason,
    write_reason,
)
from forensics.classifier import classify
from lookup.policy import Context, decide
from lookup.policy_syntax import keyword_pattern
from lookup.requests import Organization, ReadQuery, SearchRequest
from scenarios.policy_files import load_pack

N = 20_000


def draws(mix: ReasonMix = REASON_MIX, n: int = N, assisting: str | None = None, seed: int = 3):
    rng = np.random.default_rng(seed)
    return [write_reason(rng, mix, assisting) for _ in range(n)]


def assert_share(hits: int, n: int, p: float, what: str) -> None:
    """Within 4 binomial standard errors of ``p``."""
    se = math.sqrt(p * (1 - p) / n)
    assert abs(hits / n - p) <= 4 * se + 1e-12, f"{what}: {hits}/{n} = {hits / n:.4f}, expected {p:.4f} ± {4 * se:.4f}"


def test_writer_shares_follow_the_mix_within_binomial_error():
    out = draws()
    missing = [w for w in out if w.wording == "missing"]
    reasoned = [w for w in out if w.wording != "missing"]
    vague = [w for w in reasoned if w.wording == "vague"]
    concrete = [w for w in reasoned if w.wording == "concrete"]
    assert_share(len(missing), N, REASON_MIX.missing_share, "missing")
    assert_share(len(vague), len(reasoned), REASON_MIX.vague_share, "vague among reasoned")
    assert len(vague) + len(concrete) == len(reasoned)  # no assist wording for own work
    case_only = [w for w in concrete if w.reason == w.case_number]
    assert_share(len(case_only), len(concrete), REASON_MIX.case_number_share * REASON_MIX.case_only_share,
                 "bare case numbers among concrete")
    assert_share(sum(w.case_number is not None for w in concrete), len(concrete), REASON_MIX.case_number_share,
                 "case numbers among concrete")
    worded = [w for w in reasoned if re.search(r"[A-Za-z]{5}", w.reason)]  # as measured on Eugene's log
    assert_share(sum(w.reason.isupper() for w in worded), len(worded), REASON_MIX.upper_case_share,
                 "reasons in capitals")


def test_a_different_mix_moves_the_shares_it_names():
    mix = dataclasses.replace(REASON_MIX, missing_share=0.05, vague_share=0.6, case_number_share=0.2)
    out = draws(mix)
    reasoned = [w for w in out if w.wording != "missing"]
    concrete = [w for w in reasoned if w.wording == "concrete"]
    assert_share(N - len(reasoned), N, 0.05, "missing")
    assert_share(sum(w.wording == "vague" for w in reasoned), len(reasoned), 0.6, "vague")
    assert_share(sum(w.case_number is not None for w in concrete), len(concrete), 0.2, "case numbers")


def test_vague_and_missing_searches_carry_no_case_number_or_offense_type():
    for w in draws(n=5000):
        if w.wording in ("vague", "missing"):
            assert w.case_number is None and w.offense_type is None, w
        if w.wording == "missing":
            assert w.reason == ""


def test_every_vague_text_the_writer_emits_is_listed_as_vague():
    # the simulator's truth (a perfect auditor's label) reads VAGUE_REASONS
    vague = {w.reason for w in draws() if w.wording == "vague"}
    assert vague <= set(VAGUE_REASONS)
    assert "Investigation" in vague  # the Houston bulletin's example
    assert any(t != t.lower() and t.isupper() for t in vague)  # capitals, as in Eugene's log


def test_assist_wording_only_for_searches_run_for_another_agency():
    own = draws(n=5000)
    assert not any(w.wording == "assist" for w in own)
    other = draws(assisting="Berkeley CA PD")
    assisted = [w for w in other if w.wording == "assist"]
    expected = (1 - REASON_MIX.missing_share) * REASON_MIX.assist_wording_share
    assert_share(len(assisted), N, expected, "assist wording for an assist")
    assert any("Berkeley CA PD" in w.reason for w in assisted)
    assert all(w.offense_type is None for w in assisted)


def test_innocent_traps_are_rare_concrete_local_reasons():
    out = draws(n=100_000)
    concrete = [w for w in out if w.wording == "concrete" and w.reason != w.case_number]
    traps = [w for w in concrete if w.innocent_trap]
    assert_share(len(traps), len(concrete), REASON_MIX.innocent_share, "innocent traps")
    assert all(w.reason.lower() in {t.lower() for t, _ in INNOCENT_REASONS} for w in traps)


def test_same_seed_same_reasons():
    assert draws(n=500, seed=11) == draws(n=500, seed=11)
    assert draws(n=500, seed=11) != draws(n=500, seed=12)


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(ReasonMix)])
def test_a_share_outside_zero_to_one_is_refused_naming_the_field(field):
    with pytest.raises(ValueError, match=rf"ReasonMix\.{field}: 1\.5"):
        ReasonMix(**{field: 1.5})


def test_misspell_changes_one_long_word_by_one_slip():
    rng = np.random.default_rng(0)
    for _ in range(200):
        slipped = misspell(rng, "robbery suspect 211 PC")
        assert slipped != "robbery suspect 211 PC"
        assert abs(len(slipped) - len("robbery suspect 211 PC")) <= 1
        assert slipped.endswith("211 PC")
    assert misspell(rng, "DV 273.5") == "DV 273.5"  # no word of five letters


# --- adversarial spellings ----------------------------------------------------------

def naive_filter(text: str) -> bool:
    """What a plain lowercase substring check for the filtered words catches."""
    low = text.lower()
    return "ice" in low or "immigration" in low


@pytest.mark.parametrize("word, examples", [
    ("ICE", ("I.C.E.", "I C E", "lCE", "1CE")),
    ("immigration", ("imigration", "immigraton")),
    ("HSI", ("HSl", "H.S.I.")),
    ("CBP", ("C.B.P.",)),
])
def test_adversarial_spellings_include_the_known_tricks_and_evade_a_naive_filter(word, examples):
    spellings = adversarial_spellings(word)
    assert set(examples) <= set(spellings)
    assert word.lower() not in " ".join(spellings).lower().split()
    assert all(word.lower() not in s.lower() for s in spellings)
    if word in ("ICE", "immigration"):
        assert not any(naive_filter(s) for s in spellings)


def test_adversarial_spellings_refuse_more_than_one_word():
    with pytest.raises(ValueError, match="'Border Patrol'"):
        adversarial_spellings("Border Patrol")


def test_evade_filters_respells_every_filtered_term_and_nothing_else():
    rng = np.random.default_rng(5)
    for _ in range(200):
        text = evade_filters(rng, "Immigration - ICE case 25-01234")
        assert not naive_filter(text), text
        assert text.endswith(" case 25-01234")


def keyword_rules_deny(pack_name: str, reason: str) -> bool:
    """An in-state proxy's search of an owner under a pack (Illinois for il-2024): denied?"""
    state = "IL" if pack_name.startswith("il-") else "CA"
    proxy = Organization("chp", "State Highway Patrol", "state", state)
    owner = Organization("oakland-ca-pd", "City PD", "local", state)
    request = SearchRequest("r1", "chp", "officer-1", 100 * 86400, reason, "plate",
                            ReadQuery(plate="7ABC123", start_s=99 * 86400, end_s=100 * 86400), None, "25-01234",
                            None)
    context = Context(now_s=100 * 86400, lookup_org={o.slug: o for o in (proxy, owner)}.get)
    return decide(request, proxy, owner, load_pack(pack_name).layers, context, "state").effect == "deny"


KEYWORD_PACKS = ("flock-2025", "ca-sb34-sb54", "il-2024")


@pytest.mark.parametrize("pack", KEYWORD_PACKS)
def test_packs_deny_the_plain_wording_and_miss_the_adversarial_one(pack):
    assert keyword_rules_deny(pack, "ICE case")
    assert keyword_rules_deny(pack, "immigration")
    evaded = [s for s in (*adversarial_spellings("ICE"), *adversarial_spellings("immigration"))
              if not keyword_rules_deny(pack, f"{s} case")]
    # whole-word keyword rules miss every re-spelling: the evasion is real, not assumed
    assert len(evaded) == len(adversarial_spellings("ICE")) + len(adversarial_spellings("immigration"))


def test_packs_with_an_ice_keyword_falsely_deny_innocent_local_reasons():
    whole_word = {t for t, _ in INNOCENT_REASONS if keyword_pattern(("ICE", "immigration")).search(t)}
    assert whole_word == {"hit and run on black ice 20001 VC", "ice cream truck burglary 459 PC",
                          "ice meth sales 11378 HS", "immigration consultant fraud 22440 BP"}
    for reason in whole_word:
        assert keyword_rules_deny("flock-2025", reason), reason
    for reason, _ in INNOCENT_REASONS:
        assert naive_filter(reason) or reason in whole_word
        assert "cbp" not in reason.lower()
        if reason not in whole_word:  # "police", "service", "device": whole words pass
            assert not keyword_rules_deny("flock-2025", reason), reason


def test_proxy_reasons_are_respelt_at_the_adversarial_share():
    rng = np.random.default_rng(9)
    out = [proxy_reason(rng, "ice-ero", "ICE ERO", "US") for _ in range(N)]
    assert_share(sum(w.adversarial for w in out), N, REASON_MIX.adversarial_share, "adversarial proxy reasons")
    assert all(naive_filter(w.reason) == (not w.adversarial) for w in out)


def test_the_forensic_classifier_on_adversarial_spellings_is_measured():
    """Not asserted perfect: the share it still reads as immigration or federal is a figure."""
    spellings = [s for w in ("ICE", "immigration", "HSI", "CBP") for s in adversarial_spellings(w)]
    caught = [s for s in spellings if classify(f"{s} case").label in ("immigration", "federal")]
    recall = len(caught) / len(spellings)
    print(f"classifier recall on {len(spellings)} adversarial spellings: {recall:.2f}; missed: "
          f"{sorted(set(spellings) - set(caught))}")
    assert "I.C.E." in caught  # dotted initialisms are normalised
    assert 0 < recall < 1


# --- the writer in the planner -------------------------------------------------------

def test_plan_local_writes_the_mix_and_honours_the_scenarios_case_number_share(two_towns_world):
    from agencies.interest import InterestSpec, plan_local
    from agencies.registry import registry_for
    from sim.random_streams import RandomStreams

    world, registry = two_towns_world, registry_for(())

    def plans(share: float):
        spec = dataclasses.replace(InterestSpec(), local_case_number_share=share)
        return plan_local(registry, world.traffic.vehicles, world.cameras, 2.0, spec, RandomStreams(4))

    none, every = plans(0.0), plans(1.0)
    assert not any(p.request.case_number for p in none)
    reasoned = [p.request for p in every if p.request.reason]
    vague = [r for r in reasoned if r.reason in VAGUE_REASONS]
    assert_share(len(every) - len(reasoned), len(every), REASON_MIX.missing_share, "missing in plan_local")
    assert_share(len(vague), len(reasoned), REASON_MIX.vague_share, "vague in plan_local")
    assert all(r.case_number for r in reasoned if r.reason not in VAGUE_REASONS and r.offense_type)
