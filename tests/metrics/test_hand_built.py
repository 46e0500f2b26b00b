"""Every leakage metric on hand-built records: distinct reads, channels, nights, misreads, warm-up."""

from datetime import UTC, datetime

import numpy as np
import pytest

from agencies.interest import PlannedSearch
from agencies.records import (
    DELIVERY_CHANNELS,
    AgencyRecords,
    GroundTruth,
    NetworkReached,
    SearchRecord,
    deliveries_of,
)
from lookup.audit import AuditLog
from lookup.requests import ReadQuery, SearchRequest
from lookup.sharing import SharingGraph
from scenarios.metrics import policy_report
from scenarios.metrics.leakage import leakage_by_kind
from scenarios.metrics.location import infer_home, night_number
from sim.plates import encode
from sim.records import Cameras, Reads, RunRecords, Vehicles

TARGET, OTHER = encode("7ABC123"), encode("7ABC128")
HOME = (-122.2710, 37.8005)  # 100 m from camera 0; camera 1 is 4.4 km east
DAY, NIGHT = 86_400, 23 * 3600


def _records(reads: list[tuple[int, int, int, int]]) -> RunRecords:
    """Reads as (time_s, camera, plate code, true vehicle); vehicle 0 is the target."""
    cams = Cameras(("c0", "c1"), np.array([0, 0], np.int16), np.array([-122.2700, -122.2200]),
                   np.array([37.8000, 37.8000]), np.array([0, 1], np.int32), np.array([0.5, 0.5], np.float32),
                   np.array([False, False]), np.array([1, 2], np.uint64))
    vehicles = Vehicles(np.array([TARGET, OTHER], np.int64), np.zeros(2, np.uint8), np.zeros(2, np.uint8),
                        np.zeros(2, np.uint8), np.zeros(2, np.uint8), np.array([0, 1], np.int32),
                        np.array([0, 1], np.int32), np.zeros(2, np.int16), np.zeros(2, bool), np.zeros((2, 8), np.uint8))
    t, c, p, v = (np.array(col) for col in zip(*reads, strict=True))
    n = len(t)
    columns = {"time_s": t, "camera": c, "owner": np.zeros(n), "plate": p, "plate_state": np.zeros(n),
               "confidence": np.ones(n), "make": np.zeros(n), "colour": np.zeros(n), "body": np.zeros(n), "vehicle": v}
    return RunRecords(1, 5.0, ("oakland-ca-pd",), cams, vehicles, Reads.from_columns(columns), "x", 0, n, warmup_days=2)


def _search(index: int, time_s: int, rows: list[int], channel: str = "proxy_vague", delay_s: float = 0.0,
            beneficiary: str = "ice-ero", kind: str = "federal", target: int = 0) -> SearchRecord:
    request = SearchRequest(f"r{index}", "san-francisco-ca-pd", "u", time_s, "investigation", "plate",
                            ReadQuery(plate="7ABC123"), case_number="25-1")
    plan = PlannedSearch(time_s, request, beneficiary, kind, channel, ("san-francisco-ca-pd", beneficiary), delay_s,
                         target, False)
    rows_a = np.array(rows, np.int64)
    return SearchRecord(index, plan, (NetworkReached("oakland-ca-pd", "state", "allow", "open/allow", True, len(rows)),),
                        rows_a, np.full(len(rows), time_s + delay_s), np.full(len(rows), DELIVERY_CHANNELS.index(channel),
                                                                              np.uint8), index)


def _agencies(searches: list[SearchRecord]) -> AgencyRecords:
    beneficiaries = ("ice-ero", "san-francisco-ca-pd")
    return AgencyRecords("test", tuple(searches), deliveries_of(tuple(searches), beneficiaries), beneficiaries,
                         AuditLog(), SharingGraph({}, ()), 0, 0, 0, 5 * DAY)


TRUTH = GroundTruth(np.array([HOME[0], -122.2]), np.array([HOME[1], 37.8]), 0.0, frozenset({"ice-ero"}),
                    datetime(2025, 4, 1, tzinfo=UTC))


def test_a_read_delivered_by_two_searches_counts_once_and_both_deliveries_count():
    records = _records([(NIGHT, 0, TARGET, 0), (NIGHT + DAY, 0, TARGET, 0)])
    out = leakage_by_kind(records, _agencies([_search(0, 2 * DAY, [0, 1]), _search(1, 3 * DAY, [1])]), TRUTH, "federal")
    assert out["reads_delivered"] == 2 and out["deliveries"] == 3 and out["vehicles_exposed"] == 1


def test_a_read_reached_by_two_channels_counts_under_the_first_that_delivered_it():
    records = _records([(NIGHT, 0, TARGET, 0)])
    late_honest = _search(0, 2 * DAY, [0], channel="proxy_honest", delay_s=12 * 3600)
    early_relay = _search(1, 2 * DAY + 3600, [0], channel="fusion_relay", delay_s=0)
    out = leakage_by_kind(records, _agencies([late_honest, early_relay]), TRUTH, "federal")
    assert out["by_channel"]["fusion_relay"]["reads_delivered"] == 1
    assert out["by_channel"]["proxy_honest"]["reads_delivered"] == 0
    assert out["by_channel"]["proxy_honest"]["deliveries"] == 1 and out["reads_delivered"] == 1


def test_two_reads_of_one_night_across_midnight_do_not_locate_and_two_nights_do():
    one_night = _records([(NIGHT, 0, TARGET, 0), (DAY + 3600, 0, TARGET, 0)])  # 23:00 and 01:00 next day
    assert night_number(one_night.reads.time_s, 0.0).tolist() == [0, 0]
    out = leakage_by_kind(one_night, _agencies([_search(0, 2 * DAY, [0, 1])]), TRUTH, "federal")
    assert out["targets"] == 1 and out["targets_located"] == 0 and out["targets_mislocated"] == 0
    assert out["median_guess_error_m"] is None  # no guess, no distance
    two_nights = _records([(NIGHT, 0, TARGET, 0), (NIGHT + DAY, 0, TARGET, 0)])
    out = leakage_by_kind(two_nights, _agencies([_search(0, 2 * DAY, [0, 1], delay_s=6 * 3600)]), TRUTH, "federal")
    assert out["targets_located"] == 1 and out["median_hours_to_locate"] == pytest.approx(6.0)
    assert out["median_guess_error_m"] == pytest.approx(104.0, abs=2.0)  # camera 0 is about 100 m from HOME


def test_a_misread_that_points_elsewhere_mislocates_the_target():
    # another car read as the target's plate at camera 1 on three nights; the target once at home
    records = _records([(NIGHT, 1, TARGET, 1), (NIGHT + DAY, 1, TARGET, 1), (NIGHT + 2 * DAY, 1, TARGET, 1),
                        (NIGHT, 0, TARGET, 0)])
    out = leakage_by_kind(records, _agencies([_search(0, 4 * DAY, [0, 1, 2, 3])]), TRUTH, "federal")
    assert out["targets_located"] == 0 and out["targets_mislocated"] == 1
    assert out["median_guess_error_m"] == pytest.approx(4_480.0, rel=0.02)  # camera 1 is 4.4 km east of HOME
    assert out["vehicles_exposed"] == 2  # the bystander whose car was misread is exposed too


def test_the_targets_own_misread_reads_do_not_help_locate_it():
    records = _records([(NIGHT, 0, OTHER, 0), (NIGHT + DAY, 0, OTHER, 0)])  # the target, read as another plate
    out = leakage_by_kind(records, _agencies([_search(0, 2 * DAY, [0, 1])]), TRUTH, "federal")
    assert out["reads_delivered"] == 2 and out["targets_located"] == 0 and out["targets_mislocated"] == 0


def test_searches_in_the_warm_up_are_not_measured():
    records = _records([(-DAY + NIGHT, 0, TARGET, 0), (NIGHT, 0, TARGET, 0)])
    out = leakage_by_kind(records, _agencies([_search(0, -3600, [0]), _search(1, 2 * DAY, [1])]), TRUTH, "federal")
    assert out["searches_served"] == 1 and out["reads_delivered"] == 1 and out["deliveries"] == 1


def test_inference_prefers_more_nights_then_more_reads():
    cam_lon, cam_lat = np.array([-122.2700, -122.2200]), np.array([37.8, 37.8])
    guess = infer_home(np.array([1, 1, 0, 0, 0]), np.array([0, 1, 0, 1, 2]), np.arange(5.0), cam_lon, cam_lat, *HOME)
    assert guess.camera == 0 and guess.correct and guess.located_at_s == 4.0  # at 3.0 a tie: the first stays
    guess = infer_home(np.array([1, 1, 1, 0, 0]), np.array([0, 1, 1, 0, 1]), np.arange(5.0), cam_lon, cam_lat, *HOME)
    assert guess.camera == 1 and not guess.correct and guess.located_at_s is None


def test_policy_report_cost_counts_distinct_bystander_reads():
    records = _records([(NIGHT, 0, TARGET, 0), (NIGHT, 1, TARGET, 1), (NIGHT + DAY, 1, OTHER, 1)])
    legit = _search(0, 2 * DAY, [0, 1, 2], channel="local", beneficiary="san-francisco-ca-pd", kind="local")
    legit = SearchRecord(0, PlannedSearch(*[*legit.plan.__dict__.values()][:8], True), legit.networks, legit.rows,
                         legit.delivered_s, legit.row_channel, 0)
    again = SearchRecord(1, legit.plan, legit.networks, legit.rows, legit.delivered_s, legit.row_channel, 1)
    report = policy_report(records, _agencies([legit, again]), TRUTH)
    assert report["cost"]["legit"] == {"searches": 2, "denied": 0, "partly_denied": 0, "without_hit": 0,
                                       "bystander_reads": 2, "innocent_trap_searches": 0,
                                       "innocent_trap_denied": 0}
    assert report["cost"]["misread_false_hits"] == 1  # row 1: another car read as the plate searched
