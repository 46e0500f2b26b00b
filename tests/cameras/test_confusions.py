"""The confusion structure's summaries, and misreads that land on live plates."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cameras.calibration import ARTEFACT, SampleReadings, Samples, count_errors
from cameras.live_plates import CA_LETTERS, ca_sequence_plates, live_ca_plates
from cameras.misread import (
    CONDITIONS,
    PUBLISHED_CONFUSABLE_GROUPS,
    ConfusionMisreadModel,
    confusable_share,
    expected_substitutions,
    misread_live_hits,
    top_confusions,
)
from sim.plates import ALPHABET, BASE, decode_many, encode_many

# the published groups, written out here rather than taken from the code under test
PUBLISHED_PAIRS = {(a, b) for group in ("0ODQ", "1IL7", "2Z", "5S", "8B", "6G") for a in group for b in group if a != b}


def _readings(rows: list[tuple[str, str]], condition: str = "day") -> SampleReadings:
    samples = Samples(tuple(t for t, _ in rows), ("CA",) * len(rows), (condition,) * len(rows),
                      np.arange(len(rows), dtype=np.uint64))
    reads = tuple(r for _, r in rows)
    return SampleReadings(samples, reads, np.array([r == "" for r in reads]), np.ones(len(rows), np.float32))


def test_the_published_groups_are_the_facts_md_ones():
    assert PUBLISHED_CONFUSABLE_GROUPS == ("0ODQ", "1IL7", "2Z", "5S", "8B", "6G")


def test_confusable_share_counts_substitutions_within_the_published_groups():
    rows = [("7ABC123", "7A8C123"),  # B->8: published
            ("7ABC123", "7ABC128"),  # 3->8: not
            ("5SOW350", "5SOW750"),  # 3->7: not (the Green v. San Francisco misread)
            ("7DBC100", "70BC100"),  # D->0: published
            ("7ABC123", "7ABC12"),  # a drop: not a substitution
            ("7ABC123", "7ABC123")]
    counts = count_errors(_readings(rows))
    table = counts.substitutions[CONDITIONS.index("day")]
    pairs = [(ALPHABET[s - 1], ALPHABET[t - 1]) for s, t in zip(*np.nonzero(table), strict=True)
             for _ in range(int(table[s, t]))]
    assert sorted(pairs) == sorted([("B", "8"), ("3", "8"), ("3", "7"), ("D", "0")])
    assert confusable_share(table) == pytest.approx(sum(p in PUBLISHED_PAIRS for p in pairs) / len(pairs))
    assert confusable_share(table) == pytest.approx(0.5)
    assert np.isnan(confusable_share(np.zeros((BASE, BASE))))


def test_a_reading_of_another_length_adds_no_look_alike_pairs():
    # an N split in two reads "II": a segmentation error, not an N->I confusion
    counts = count_errors(_readings([("7NBC123", "7IIBC123")]))
    day = CONDITIONS.index("day")
    assert counts.substitutions[day].sum() == 0
    assert counts.plates_misread[day] == 1


def test_top_confusions_are_ranked_by_share():
    table = np.zeros((BASE, BASE))
    b, eight, zero, o = (ALPHABET.index(c) + 1 for c in "B80O")
    table[b, eight], table[zero, o] = 3, 1
    assert top_confusions(table, 5) == [("B", "8", 0.75), ("0", "O", 0.25)]


def test_the_shipped_tables_confusable_share_recomputed_from_the_json():
    data = json.loads(ARTEFACT.read_text())
    model = ConfusionMisreadModel.load(ARTEFACT)
    occurrences = np.ones(BASE)
    occurrences[0] = 0
    for c, condition in enumerate(data["conditions"]):
        # expected substitutions: p(error of s) x p(read t | error of s), from the JSON entries
        rows: dict[str, float] = {}
        for cond, src, _dst, p in data["confusion"]:
            if cond == c:
                rows[src] = rows.get(src, 0.0) + p
        within = total = 0.0
        for cond, src, dst, p in data["confusion"]:
            if cond != c:
                continue
            mass = data["p_char_error"][src][c] * p / rows[src]
            total += mass
            within += mass if (src, dst) in PUBLISHED_PAIRS else 0.0
        expected = within / total
        assert confusable_share(expected_substitutions(model, condition, occurrences)) == pytest.approx(
            expected, rel=1e-4)


def test_a_misread_that_spells_another_live_plate_is_counted():
    live = encode_many(["7ABC123", "7ABC128", "8XYZ001", "8XYZ001"])  # duplicates allowed
    true = encode_many(["7ABC123", "7ABC123", "7ABC123", "8XYZ001"])
    read = encode_many(["7ABC123", "7ABC128", "7A8C123", "8XYZ007"])
    # a correct read is no hit; 7ABC128 is a live car; 7A8C123 and 8XYZ007 are nobody's
    assert misread_live_hits(true, read, live).tolist() == [False, True, False, False]
    assert not misread_live_hits(true, read, np.empty(0, np.int64)).any()


def test_live_plates_are_issued_in_sequence():
    first = decode_many(ca_sequence_plates(np.arange(0, 3)))
    assert first == ["1AAA000", "1AAA001", "1AAA002"]
    assert decode_many(ca_sequence_plates(np.array([999, 1000])))[1] == "1AAB000"
    live = live_ca_plates(np.random.default_rng(2), 20_000)
    assert np.all(np.diff(live) > 0)  # sorted, unique
    texts = decode_many(live[:: max(1, len(live) // 200)])
    assert all(len(t) == 7 and t[0].isdigit() and all(ch in CA_LETTERS for ch in t[1:4]) and t[4:].isdigit()
               for t in texts)
    # recent series dominate (plates are young): most live plates are of the 8 and 9 series
    assert np.mean([t[0] in "89" for t in texts]) > 0.5


def test_neighbouring_misreads_land_on_live_plates_more_often_in_a_denser_population():
    rng = np.random.default_rng(5)
    sparse, dense = live_ca_plates(rng, 5_000), live_ca_plates(rng, 400_000)
    true = dense[rng.integers(len(dense), size=3000)]
    last = (true // BASE) % BASE  # the seventh symbol (the eighth is padding): a digit, 1..10
    read = true + ((last % 10) + 1 - last) * BASE  # the next digit, wrapping 9 -> 0
    # about 1% of the neighbours of 400,000 cars' plates are live, 80 times fewer of 5,000 cars'
    assert misread_live_hits(true, read, dense).mean() > misread_live_hits(true, read, sparse).mean() + 0.005


def test_standard_plates_leave_out_the_personalised_ones():
    rows = [("7ABC123", "7A8C123"),  # standard: B->8
            ("B0B5S", "BOB5S"),  # personalised: 0->O, which no format could resolve
            ("7DBC100", "7DBC1OO")]  # standard: 0->O twice
    readings = _readings(rows)
    mixed = SampleReadings(Samples(readings.samples.text, readings.samples.state, readings.samples.condition,
                                   readings.samples.seed, (False, True, False)),
                           readings.read, readings.no_read, readings.confidence)
    day = CONDITIONS.index("day")
    standard = count_errors(mixed.standard_plates()).substitutions[day]
    by_hand = count_errors(_readings([rows[0], rows[2]])).substitutions[day]
    assert np.array_equal(standard, by_hand) and standard.sum() == 3
    assert count_errors(mixed).substitutions[day].sum() == 4
    assert readings.standard_plates() is readings  # no personalised plates: nothing to leave out
