import json

import pytest
from typer.testing import CliRunner

from scenarios.cli import app
from scenarios.files import ScenarioError, builtin_names, json_schema, load_scenario, parse_scenario

GOOD = """
name: tiny
owners:
  - slug: alpha-ca-pd
    name: Alpha
    jurisdiction: alpha-ca-pd
    cameras: 3
"""


def test_every_builtin_scenario_loads():
    assert "bay-area" in builtin_names()
    for name in builtin_names():
        spec = load_scenario(name)
        assert spec.name == name and spec.owners


def test_defaults_fill_what_a_file_leaves_out():
    spec = parse_scenario(GOOD)
    assert spec.days == 30 and spec.owners[0].retention_days == 30 and spec.cameras.capture.p_capture_day == 0.97


@pytest.mark.parametrize(("text", "expected"), [
    (GOOD.replace("cameras: 3", "cameras: -3"), ["<string>:7", "owners.0.cameras", "-3"]),
    (GOOD.replace("name: tiny", "name: tiny\ndays: soon"), ["<string>:3", "days", "'soon'"]),
    (GOOD + "colour_of_sky: blue\n", ["colour_of_sky", "Extra inputs"]),
    (GOOD.replace("slug: alpha-ca-pd", "slug: Alpha PD"), ["owners.0.slug", "'Alpha PD'"]),
    ("name: [unclosed", ["not valid YAML"]),
    (GOOD + "cameras:\n  extra:\n    - {id: x, owner: nobody, lon: 0, lat: 0}\n", ["cameras.extra.0.owner", "'nobody'"]),
])
def test_bad_files_name_line_field_and_value(text, expected):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text)
    for fragment in expected:
        assert fragment in str(err.value)


def test_validate_command_reports_the_error_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("cameras: 3", "cameras: lots"))
    result = CliRunner().invoke(app, ["scenarios", "validate", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml:7" in result.output and "owners.0.cameras" in result.output and "'lots'" in result.output
    assert "Traceback" not in result.output


def test_schema_command_prints_json_schema():
    result = CliRunner().invoke(app, ["scenarios", "schema"])
    schema = json.loads(result.output)
    assert schema == json_schema() and "owners" in schema["properties"]


def test_list_and_show_builtins():
    runner = CliRunner()
    listed = runner.invoke(app, ["scenarios", "list"]).output
    assert "bay-area" in listed
    shown = runner.invoke(app, ["scenarios", "show", "bay-area"]).output
    assert "oakland-ca-pd" in shown
    missing = runner.invoke(app, ["scenarios", "show", "atlantis"])
    assert missing.exit_code == 2 and "no built-in scenario 'atlantis'" in missing.output
