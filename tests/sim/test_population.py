"""The population: counts by region from the scenario, anchors, plates issued in sequence."""

from __future__ import annotations

import numpy as np

from sim import plates
from sim.population import HEAVY, THROUGH


def test_vehicles_by_region_equal_the_scenarios_counts(mini_bay_world):
    v, net = mini_bay_world.traffic.vehicles, mini_bay_world.net
    by_group = np.bincount(v.group, minlength=len(mini_bay_world.traffic.group_names))
    names = mini_bay_world.traffic.group_names
    counts = dict(zip(names, by_group.tolist(), strict=True))
    assert counts == {"oakland": 6000, "san-francisco": 9000, "external": 3000, "through:richmond-hayward": 1000}
    assert mini_bay_world.population["by_region"] == counts
    assert mini_bay_world.population["vehicles"] == len(v) == 19_000
    # residents live in their own region's zones
    home_region = net.zone_region[v.anchor_zone[:, 0]]
    for g, name in enumerate(net.regions):
        assert (home_region[v.group == g] == g).all(), name


def test_through_vehicles_run_between_their_gates(mini_bay_world):
    v, net = mini_bay_world.traffic.vehicles, mini_bay_world.net
    through = v.kind == THROUGH
    assert (v.anchor_zone[through, 0] == net.gate_zone["richmond"]).all()
    assert (v.anchor_zone[through, 1] == net.gate_zone["hayward"]).all()


def test_a_heavy_tail_of_fleet_vehicles_is_drawn_at_its_share(mini_bay_world):
    v = mini_bay_world.traffic.vehicles
    residents = v.kind != THROUGH
    share = float((v.kind[residents] == HEAVY).mean())
    n = int(residents.sum())
    assert abs(share - 0.02) < 4 * np.sqrt(0.02 * 0.98 / n)


def test_every_vehicle_has_its_own_plate(mini_bay_world):
    v = mini_bay_world.traffic.vehicles
    assert len(np.unique(v.plate)) == len(v)


def test_california_plates_come_from_the_issuing_sequence_by_vintage():
    rng = np.random.default_rng(0)
    n = 20_000
    codes = plates.ca_issued_plates(rng, n)
    text = plates.decode_many(codes)
    assert all(len(p) == 7 and p[0].isdigit() and p[1:4].isalpha() and p[4:].isdigit() for p in text)
    # ages exponential (mean 15 years) at n / (15 x 0.5) plates a year: half of the plates
    # lie within 15 ln 2 years of the head, i.e. within n ln 2 / 0.5 places of it
    behind = plates.CA_HEAD_2026 - np.array([_index(p) for p in text])
    half = n * np.log(2) / plates.CA_LIVE_DENSITY_AT_HEAD
    share = float((behind <= half).mean())
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / n)


def _index(plate: str) -> int:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    block = (letters.index(plate[1]) * 23 + letters.index(plate[2])) * 23 + letters.index(plate[3])
    return (int(plate[0]) - 1) * plates.CA_SERIES + block * 1000 + int(plate[4:])


def test_the_sequence_runs_in_issuing_order():
    first = plates.decode_many(plates.ca_sequence_plates(np.array([0, 1, 999, 1000, 23 * 1000, plates.CA_SERIES])))
    assert first == ["1AAA000", "1AAA001", "1AAA999", "1AAB000", "1ABA000", "2AAA000"]


def test_misreads_of_sequential_plates_land_on_live_plates_far_more_often_than_random_ones():
    """One wrong character of a live plate hits another live plate often when plates
    cluster by vintage (as densely as the state's fleet fills the sequence); with random
    CA-format plates it almost never does."""
    rng = np.random.default_rng(1)
    n = 200_000
    live = plates.ca_issued_plates(rng, n)
    rand = plates.PLATE_FORMATS["CA"].generate(rng, n)

    def hit_rate(codes):
        sym = plates.decode_symbols(codes[:20_000]).copy()
        sym[:, 6] = (sym[:, 6] - 1 + 1) % 10 + 1  # last digit off by one: a common misread
        return np.isin(plates.encode_symbols(sym), codes).mean()

    assert hit_rate(live) > 0.2  # live plates fill much of the recent sequence
    assert hit_rate(live) > 20 * max(hit_rate(rand), 1e-4)
