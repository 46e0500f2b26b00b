"""The scenario's agencies section: typed, with errors that name the file, line and field."""

import pytest

from scenarios.files import ScenarioError, parse_scenario

BASE = """
name: t
owners:
  - {slug: alpha-ca-pd, name: Alpha, jurisdiction: alpha-ca-pd, cameras: 2}
network: {builtin: cities}
"""


def test_agencies_section_becomes_the_interest_and_registry():
    spec = parse_scenario(BASE + """
agencies:
  registry:
    - {slug: alpha-ca-pd, name: Alpha, searches_per_30_days: 300}
    - {slug: ice-ero, name: ICE, kind: federal, state: US, tags: [immigration]}
  targets_per_30_days: {ice-ero: 12}
  federal_channels:
    proxy_vague: {probability: 0.5, handoff_delay_hours: 2}
  proxies: [alpha-ca-pd]
""")
    assert [a.org.slug for a in spec.registry] == ["alpha-ca-pd", "ice-ero"]
    assert spec.registry[0].searches_per_day == pytest.approx(10.0)
    assert spec.interest.targets_per_30_days == {"ice-ero": 12}
    assert spec.interest.federal_channels["proxy_vague"].handoff_delay_s == 7200
    assert set(spec.interest.federal_channels) == {"proxy_vague"}
    assert spec.interest.proxies == ("alpha-ca-pd",)


@pytest.mark.parametrize("section, where, words", [
    ("agencies:\n  targets_per_30_days: {nobody: 3}\n", ":7", "agencies.targets_per_30_days.nobody"),
    ("agencies:\n  federal_channels:\n    carrier_pigeon: {probability: 0.5}\n", ":8", "carrier_pigeon"),
    ("agencies:\n  federal_channels:\n    direct: {probability: 1.5}\n", ":8", "less than or equal to 1"),
    ("agencies:\n  proxies: [ghost-pd]\n", ":7", "'ghost-pd' is not an agency"),
    ("agencies:\n  targets: {ice-ero: 3}\n", ":7", "targets"),
])
def test_bad_agency_fields_are_named_with_their_line(section, where, words):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(BASE + section, "s.yaml")
    message = str(info.value)
    assert f"s.yaml{where}" in message and words in message, message


# the arms race (docs/arms-race.md)


def test_the_arms_race_sections_become_the_dynamics():
    spec = parse_scenario(BASE + """
agencies:
  adversary: adaptive
  learning: {prior_weight: 2, attempts_per_target: 4}
  audits:
    alpha-ca-pd: {cadence_days: 30, sample_share: 0.5, actions: {vague: require_beneficiary}}
  misconfigurations:
    - {owner: alpha-ca-pd, sharing: state, start_day: 3, end_day: 9}
  insider: {cases_per_30_days: 1.5}
""")
    d = spec.interest.dynamics
    assert d.adversary == "adaptive" and d.learning.prior_weight == 2 and d.learning.attempts_per_target == 4
    assert d.audits["alpha-ca-pd"].actions == {"vague": "require_beneficiary"}
    assert d.audits["alpha-ca-pd"].sample_share == 0.5
    assert (d.misconfigurations[0].sharing, d.misconfigurations[0].end_day) == ("state", 9)
    assert d.insider.cases_per_30_days == 1.5 and d.insider.reason == "investigation"


@pytest.mark.parametrize("section, where, words", [
    ("agencies:\n  audits:\n    ghost-pd: {cadence_days: 30}\n", ":8", "'ghost-pd' is not an owner"),
    ("agencies:\n  audits:\n    alpha-ca-pd: {cadence_days: 30, actions: {vague: fine}}\n", ":8", "fine"),
    ("agencies:\n  misconfigurations:\n    - {owner: alpha-ca-pd, sharing: state, start_day: 9, end_day: 3}\n",
     ":8", "must come after start_day"),
    ("agencies:\n  adversary: clever\n", ":7", "clever"),
])
def test_bad_arms_race_sections_name_the_file_line_and_field(section, where, words):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(BASE + section, "s.yaml")
    assert f"s.yaml{where}" in str(info.value) and words in str(info.value)
