"""The table: every CLI command that reads a file, with the kind of file it reads.

Adding a command is one line: its name, the kind of valid file the corpus mutates, the
argv (from the input path, an output folder and a function giving a valid file of a
kind), and the bad inputs it reads correctly (exit 0) rather than refuses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Argv = Callable[[Path, Path, Callable[[str], Path]], list[str]]
TWO_TOWNS = Path(__file__).resolve().parents[1] / "fixtures" / "two-towns.yaml"
# the CSV readers decode UTF-16 (with a BOM) and cp1252 lines: those files are read, not refused
READS_ANY_ENCODING = frozenset({"utf16", "latin1"})


def scenario_naming(field: str, path: Path, out: Path) -> str:
    """two-towns with ``network.geojson`` or ``cameras.locations`` set to ``path`` (written beside ``out``)."""
    text = TWO_TOWNS.read_text()
    if field == "network.geojson":
        text = text.replace("  builtin: cities", f"  builtin: null\n  geojson: {json.dumps(str(path))}")
    else:
        text += f"cameras:\n  locations: {json.dumps(str(path))}\n"
    scenario = out.parent / f"scenario-{field}.yaml"
    scenario.write_text(text)
    return str(scenario)


@dataclass(frozen=True)
class Command:
    name: str
    kind: str
    argv: Argv
    reads: frozenset[str] = frozenset()  # bad inputs this command reads correctly (exit 0)


COMMANDS = (
    Command("run", "scenario", lambda f, out, v: ["run", str(f), "--out", str(out), "--days", "0.05",
                                                  "--reads-format", "none"]),
    Command("compare", "scenario", lambda f, out, v: ["compare", str(f), "--policy", "open", "--days", "0.05",
                                                      "--out", str(out)]),
    Command("scenarios validate", "scenario", lambda f, out, v: ["scenarios", "validate", str(f)]),
    Command("serve --scenario", "scenario", lambda f, out, v: ["serve", "--scenario", str(f), "--db",
                                                               str(out / "service.sqlite"), "--port", "0"]),
    Command("run --policy", "policy", lambda f, out, v: ["run", str(v("scenario")), "--policy", str(f), "--out",
                                                         str(out), "--days", "0.05", "--reads-format", "none"]),
    Command("policies show", "policy", lambda f, out, v: ["policies", "show", str(f)]),
    Command("policies test", "policy_tests", lambda f, out, v: ["policies", "test", str(f)]),
    Command("audit", "portal_csv", lambda f, out, v: ["audit", str(f), "--out", str(out)], READS_ANY_ENCODING),
    Command("replay", "portal_csv", lambda f, out, v: ["replay", str(f), "--policy", "strict", "--out", str(out)],
            READS_ANY_ENCODING),
    Command("replay --policy", "policy", lambda f, out, v: ["replay", str(v("portal_csv")), "--policy", str(f),
                                                            "--out", str(out)]),
    Command("network scan", "edges_csv", lambda f, out, v: ["network", "scan", str(f), "--out", str(out)],
            READS_ANY_ENCODING),
    Command("network scan --stats", "stats_csv", lambda f, out, v: ["network", "scan", str(v("edges_csv")),
                                                                    "--stats", str(f), "--out", str(out)],
            READS_ANY_ENCODING),
    Command("cameras read", "image", lambda f, out, v: ["cameras", "read", str(f)]),
    Command("run (network.geojson)", "road_geojson", lambda f, out, v: [
        "run", scenario_naming("network.geojson", f, out), "--out", str(out), "--days", "0.05"]),
    Command("run (cameras.locations)", "camera_geojson", lambda f, out, v: [
        "run", scenario_naming("cameras.locations", f, out), "--out", str(out), "--days", "0.05"]),
)

# bad inputs whose error names a line (file:LINE) for these kinds
NAMES_A_LINE = {
    "scenario": {"truncated", "latin1", "yaml_bomb", "out_of_range", "negative", "nan"},
    "policy": {"truncated", "latin1", "yaml_bomb", "out_of_range", "negative", "nan"},
    "policy_tests": {"truncated", "latin1", "yaml_bomb", "out_of_range", "negative", "nan"},
    "portal_csv": {"truncated", "unterminated_quote", "rows_wrong", "out_of_range", "negative", "nan", "long_line"},
    "edges_csv": {"truncated", "unterminated_quote", "rows_wrong", "long_line"},
    "stats_csv": {"truncated", "unterminated_quote", "rows_wrong", "out_of_range", "negative", "nan", "long_line"},
    "image": set(),
    "camera_geojson": set(),
    "road_geojson": set(),
}
