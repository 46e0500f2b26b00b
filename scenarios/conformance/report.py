"""The kit's outputs: junit.xml (for CI), results.json (every test), verdict.md (for people)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree as ET

from scenarios.conformance.kit import Result

LEVELS = {1: "access", 2: "policy", 3: "audit and data"}


def outcome(results: Sequence[Result]) -> str:
    """passed (every test passed), failed (a test failed or broke), incomplete (skips)."""
    counts = Counter(r.status for r in results)
    if counts["failed"] or counts["error"]:
        return "failed"
    return "incomplete" if counts["skipped"] else "passed"


def junit_xml(results: Sequence[Result], url: str) -> str:
    suites = ET.Element("testsuites", name=f"alprsim conform {url}")
    for level, name in LEVELS.items():
        mine = [r for r in results if r.level == level]
        if not mine:
            continue
        counts = Counter(r.status for r in mine)
        suite = ET.SubElement(suites, "testsuite", name=f"level {level}: {name}", tests=str(len(mine)),
                              failures=str(counts["failed"]), errors=str(counts["error"]),
                              skipped=str(counts["skipped"]), time=f"{sum(r.seconds for r in mine):.3f}")
        for r in mine:
            case = ET.SubElement(suite, "testcase", classname=f"level{level}", name=f"{r.id} {r.title}",
                                 time=f"{r.seconds:.3f}")
            if r.status == "failed":
                ET.SubElement(case, "failure", message=r.message[:500]).text = r.message
            elif r.status == "error":
                ET.SubElement(case, "error", message=r.message[:500]).text = r.message
            elif r.status == "skipped":
                ET.SubElement(case, "skipped", message=r.message)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def results_json(results: Sequence[Result], meta: dict) -> str:
    return json.dumps({**meta, "outcome": outcome(results), "counts": dict(Counter(r.status for r in results)),
                       "tests": [r.__dict__ for r in results]}, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:300]


def verdict_md(results: Sequence[Result], meta: dict, leakage: list[dict] | None) -> str:
    verdict = outcome(results)
    lines = [f"# Conformance verdict: {verdict.upper()}", "",
             f"Service `{meta['url']}`, pack `{meta['pack']}`, levels {', '.join(map(str, meta['levels']))}, "
             f"run `{meta['tag']}` at {meta['started']}.", ""]
    for level in meta["levels"]:
        mine = [r for r in results if r.level == level]
        counts = Counter(r.status for r in mine)
        lines.append(f"- level {level} ({LEVELS[level]}): {counts['passed']} passed, {counts['failed']} failed, "
                     f"{counts['error']} broke, {counts['skipped']} skipped of {len(mine)}")
    lines += ["", "Skipped tests did not pass: they could not run against this service (the reason is given).", ""]
    bad = [r for r in results if r.status in ("failed", "error")]
    if bad:
        lines += ["## Failures", "", "| test | what | seen |", "|---|---|---|"]
        lines += [f"| {r.id} | {_cell(r.title)} | {_cell(r.message)} |" for r in bad]
        lines.append("")
    skipped = [r for r in results if r.status == "skipped"]
    if skipped:
        lines += ["## Skipped", "", "| test | what | why |", "|---|---|---|"]
        lines += [f"| {r.id} | {_cell(r.title)} | {_cell(r.message)} |" for r in skipped]
        lines.append("")
    if leakage:
        lines += ["## Leakage verdict (DATA-03)", "",
                  "| beneficiary | channel | request | service | pack (rule) |", "|---|---|---|---|---|"]
        lines += [f"| {t['beneficiary']} | {t['channel']} | {_cell(t['request'])} | **{t['got']}** | "
                  f"{t['pack']} ({t['rule']}) |" for t in leakage]
        lines.append("")
    lines += ["## Every test", "", "| test | status | what | note |", "|---|---|---|---|"]
    lines += [f"| {r.id} | {r.status} | {_cell(r.title)} | {_cell(r.message)} |" for r in results]
    return "\n".join(lines) + "\n"


def write(out: Path, results: Sequence[Result], meta: dict, leakage: list[dict] | None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {"junit.xml": junit_xml(results, meta["url"]), "results.json": results_json(results, meta),
             "verdict.md": verdict_md(results, meta, leakage)}
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]


__all__ = ["LEVELS", "junit_xml", "outcome", "results_json", "verdict_md", "write"]
