"""The run report counts misreads that spell another car's plate in the run, by day and night."""

from __future__ import annotations

import dataclasses

import numpy as np

from scenarios.report import build_report, misread_live_metrics, render_markdown


def _count_by_hand(world, records) -> dict[str, list[int]]:
    """[misreads, on live plates] per condition, one read at a time, from the raw columns."""
    live = set(records.vehicles.plate.tolist())
    counts = {"day": [0, 0], "night": [0, 0]}
    for t, plate, vehicle in zip(records.reads.time_s.tolist(), records.reads.plate.tolist(),
                                 records.reads.vehicle.tolist(), strict=True):
        if t < 0:
            continue  # the warm-up is not measured
        true = int(records.vehicles.plate[vehicle])
        if plate == true:
            continue
        hour = (t / 3600.0 + world.start_local_hour) % 24
        key = "night" if hour >= 20 or hour < 6 else "day"  # CaptureSpec's defaults, written out
        counts[key][0] += 1
        counts[key][1] += plate in live
    return counts


def _with_misreads_on_live_cars(records, every: int = 3):
    """Records where every ``every``-th misread spells another vehicle's plate instead."""
    reads = records.reads
    true = records.vehicles.plate[reads.vehicle]
    rows = np.flatnonzero(reads.plate != true)[::every]
    plate = reads.plate.copy()
    other = (reads.vehicle[rows] + 1) % len(records.vehicles)
    plate[rows] = records.vehicles.plate[other]
    return dataclasses.replace(records, reads=dataclasses.replace(reads, plate=plate))


def test_misreads_on_live_plates_match_an_independent_count(two_towns_world, two_towns_records):
    records = _with_misreads_on_live_cars(two_towns_records)
    live = build_report(two_towns_world, records)["reads"]["misread_live_hits"]
    hand = _count_by_hand(two_towns_world, records)
    for condition in ("day", "night"):
        block = live["by_condition"][condition]
        assert [block["misreads"], block["on_live_plates"]] == hand[condition], condition
    assert live["misreads"] == hand["day"][0] + hand["night"][0] > 0
    assert live["on_live_plates"] == hand["day"][1] + hand["night"][1]
    # about a third of the misreads were pointed at live cars (a few others may land there on their own)
    assert 0.3 <= live["share"] <= 0.5
    assert live["share"] == round(live["on_live_plates"] / live["misreads"], 5)


def test_the_report_says_how_many_misreads_land_on_live_plates(two_towns_world, two_towns_records):
    report = build_report(two_towns_world, two_towns_records)
    live = report["reads"]["misread_live_hits"]
    assert live["misreads"] == sum(live["by_condition"][c]["misreads"] for c in ("day", "night"))
    line = next(x for x in render_markdown(report).splitlines() if "spell another car's plate" in x)
    assert f"{live['on_live_plates']:,} of {live['misreads']:,}" in line


def test_the_count_does_not_depend_on_how_the_reads_are_chunked(two_towns_world, two_towns_records):
    records = _with_misreads_on_live_cars(two_towns_records)
    whole = misread_live_metrics(two_towns_world, records)
    assert misread_live_metrics(two_towns_world, records, chunk_rows=777) == whole
    assert type(whole["share"]) is float  # plain JSON, not numpy
