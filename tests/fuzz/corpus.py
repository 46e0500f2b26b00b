"""The corpus of bad inputs: each a function of a valid file's kind, written into a folder.

Kinds are the files the CLI reads: scenario YAML, policy YAML, policy test YAML, a portal
search-audit CSV, a sharing-list (edges) CSV, portal statistics CSV, and a plate image.
A builder returns ``None`` where an input does not apply to a kind (no YAML bomb for an
image). Truncation points are chosen so the cut lands inside a field that cannot be
mistaken for a complete value (a cut at a line boundary is a shorter valid file).
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
YAML_KINDS = ("scenario", "policy", "policy_tests")
JSON_KINDS = ("camera_geojson", "road_geojson")
CSV_KINDS = ("portal_csv", "edges_csv", "stats_csv")
LONG_LINE_BYTES = 200 * 2**20

POLICY_TESTS = """\
pack: strict
orgs:
  oak: {name: Oakland PD, kind: local, state: CA}
cases:
  - name: own robbery case with a case number
    requester: oak
    owner: oak
    request: {reason: 211PC, case_number: 26-01628, window_s: 86400}
    expect: allow
"""


def _png() -> bytes:
    image = np.full((40, 120, 3), 200, np.uint8)
    cv2.putText(image, "7ABC123", (4, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20, 20, 20), 2)
    return cv2.imencode(".png", image)[1].tobytes()


CAMERA_GEOJSON = json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-122.0, 37.5]},
     "properties": {"osm_id": 1, "operator": "Alpha CA PD", "direction": "90"}}]})
ROAD_GEOJSON = json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[-122.0, 37.5], [-121.99, 37.5]]},
     "properties": {"jurisdiction": "alpha-ca-pd", "class": "street", "name": "Main St"}}]})

VALID: dict[str, bytes] = {
    "scenario": (ROOT / "tests/fixtures/two-towns.yaml").read_bytes(),
    "policy": (ROOT / "scenarios/builtin/policies/strict.yaml").read_bytes(),
    "policy_tests": POLICY_TESTS.encode(),
    "portal_csv": (ROOT / "tests/forensics/fixtures/portal_search_audit.csv").read_bytes(),
    "edges_csv": (ROOT / "tests/forensics/fixtures/sharing_edges.csv").read_bytes(),
    "stats_csv": (ROOT / "tests/forensics/fixtures/portal_stats.csv").read_bytes(),
    "image": _png(),
    "camera_geojson": CAMERA_GEOJSON.encode(),
    "road_geojson": ROAD_GEOJSON.encode(),
}
SUFFIX = {"scenario": ".yaml", "policy": ".yaml", "policy_tests": ".yaml", "portal_csv": ".csv",
          "edges_csv": ".csv", "stats_csv": ".csv", "image": ".png", "camera_geojson": ".geojson",
          "road_geojson": ".geojson"}

# where a valid file is cut: just after this text (inside a field)
CUT_AFTER = {
    "scenario": b"  - slug: beta-c",  # the second owner loses its name
    "policy": b"limit: {max_window",  # an unclosed flow mapping
    "policy_tests": b"request: {reason: 211",
    "portal_csv": b'"a3","***","2025-04-22 18:',  # inside a quoted time
    "edges_csv": b"example-ca-pd,Example CA PD,2026-04-01,outb",
    "stats_csv": b'102,30,"774,6',
    "image": None,  # half the PNG
    "camera_geojson": b'"coordinates": [-122.0, 37',
    "road_geojson": b'"coordinates": [[-122.0, 37.5], [-121',
}
# a non-ASCII character in a field, for the Latin-1 variant
LATIN1_EDIT = {
    "scenario": (b"Two small synthetic towns", "Two small towns near San Jos\u00e9"),
    "policy": (b"name: strict", "name: strict\n  description: Caf\u00e9 rules"),
    "policy_tests": (b"Oakland PD", "Oakland PD (Pe\u00f1a)"),
    "portal_csv": (b'"ICE case"', '"ni\u00f1o ICE case"'),
    "edges_csv": (b"Houston TX PD", "San Jos\u00e9 CA PD"),
    "stats_csv": (b"Example CA PD", "Example San Jos\u00e9 CA PD"),
    "camera_geojson": (b'"Alpha CA PD"', '"Alpha CA PD (San Jos\u00e9)"'),
    "road_geojson": (b'"Main St"', '"Calle Jos\u00e9"'),
}
# rows that read as rows but hold wrong values (the header is right)
ROWS_WRONG = {
    "portal_csv": (b'"2025-04-22 17:05:11.001"', b'"yesterday afternoon"'),
    "edges_csv": (b"2026-04-01,outbound,NCRIC", b"2026-04-01,sideways,NCRIC"),
    "stats_csv": (b"102,30", b"many,30"),
}
# numbers: (what, replacement) per kind
NUMBERS = {
    "scenario": {"out_of_range": (b"days: 2", b"days: 100000"), "negative": (b"cameras: 12", b"cameras: -12"),
                 "nan": (b"days: 2", b"days: .nan")},
    "policy": {"out_of_range": (b"max_window_s: 2592000", b"max_window_s: 1e400"),
               "negative": (b"max_window_s: 2592000", b"max_window_s: -5"),
               "nan": (b"max_window_s: 2592000", b"max_window_s: .nan")},
    "policy_tests": {"out_of_range": (b"window_s: 86400", b"window_s: 1e400"),
                     "negative": (b"window_s: 86400", b"window_s: -86400"),
                     "nan": (b"window_s: 86400", b"window_s: .nan")},
    "portal_csv": {"out_of_range": (b",845,", b",99999999999999999999999,"), "negative": (b",845,", b",-845,"),
                   "nan": (b",845,", b",NaN,")},
    "stats_csv": {"out_of_range": (b",102,30,", b",1e400,30,"), "negative": (b",102,30,", b",-102,30,"),
                  "nan": (b",102,30,", b",nan,30,")},
    "camera_geojson": {"out_of_range": (b"-122.0", b"-522.0"), "negative": (b"37.5", b"-137.5"),
                       "nan": (b"37.5", b"NaN")},
    "road_geojson": {"out_of_range": (b"-121.99", b"1e400"), "negative": (b"37.5]]", b"-137.5]]"),
                     "nan": (b"-121.99", b"NaN")},
}

BOMB = b"""\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""

BAD_INPUTS = ("empty", "random_bytes", "truncated", "utf16", "latin1", "unterminated_quote", "rows_wrong",
              "zip_not_xlsx", "long_line", "yaml_bomb", "deep_nesting", "out_of_range", "negative", "nan",
              "missing", "directory")


def _replace(kind: str, old: bytes, new: bytes) -> bytes:
    data = VALID[kind]
    assert old in data, (kind, old)
    return data.replace(old, new, 1)


def content(kind: str, bad: str) -> bytes | None:
    """The bytes of bad input ``bad`` for ``kind``, or None where it does not apply."""
    data = VALID[kind]
    if bad == "empty":
        return b""
    if bad == "random_bytes":
        return random.Random(3000).randbytes(3000)
    if bad == "truncated":
        marker = CUT_AFTER[kind]
        return data[: len(data) // 2] if marker is None else data[: data.index(marker) + len(marker)]
    if bad == "utf16":
        return None if kind == "image" else data.decode("utf-8").encode("utf-16")
    if bad == "latin1":
        if kind not in LATIN1_EDIT:
            return None
        old, new = LATIN1_EDIT[kind]
        return data.decode("utf-8").replace(old.decode(), new, 1).encode("latin-1")
    if bad == "unterminated_quote":
        if kind not in CSV_KINDS:
            return None
        lines = data.splitlines(keepends=True)
        head = lines[1].split(b",")
        head[-1] = b'"an opening quote never closed\n'
        return b"".join([lines[0], b",".join(head), *lines[2:]])
    if bad == "rows_wrong":
        return _replace(kind, *ROWS_WRONG[kind]) if kind in ROWS_WRONG else None
    if bad == "zip_not_xlsx":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("readme.txt", "this archive is not a workbook\n")
        return buffer.getvalue()
    if bad == "yaml_bomb":
        return BOMB if kind in YAML_KINDS else None
    if bad == "deep_nesting":
        if kind in JSON_KINDS:
            return b'{"type": "FeatureCollection", "features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        return b"a: " + b"[" * 20_000 + b"]" * 20_000 + b"\n" if kind in YAML_KINDS else None
    if bad in ("out_of_range", "negative", "nan"):
        return _replace(kind, *NUMBERS[kind][bad]) if bad in NUMBERS.get(kind, {}) else None
    raise ValueError(bad)


def write_long_line(path: Path) -> Path:
    """200 MB without a newline, written in 1 MB blocks."""
    block = b"x," * (2**19)
    with open(path, "wb") as handle:
        for _ in range(LONG_LINE_BYTES // len(block)):
            handle.write(block)
    return path


def bad_path(kind: str, bad: str, folder: Path, long_line: Path) -> Path | None:
    """A path holding bad input ``bad`` for ``kind`` (written under ``folder``), or None."""
    if bad == "missing":
        return folder / f"no-such-file{SUFFIX[kind]}"
    if bad == "directory":
        path = folder / f"a-directory{SUFFIX[kind]}"
        path.mkdir(exist_ok=True)
        return path
    if bad == "long_line":
        return long_line
    data = content(kind, bad)
    if data is None:
        return None
    suffix = ".xlsx" if bad == "zip_not_xlsx" else SUFFIX[kind]
    path = folder / f"{kind}-{bad}{suffix}"
    path.write_bytes(data)
    return path


def valid_path(kind: str, folder: Path) -> Path:
    path = folder / f"{kind}-valid{SUFFIX[kind]}"
    if not path.exists():
        path.write_bytes(VALID[kind])
    return path
