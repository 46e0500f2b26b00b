"""What the page shows, as plain JSON-able data made from ``scenarios.trace_view`` records."""

from __future__ import annotations

import math

from scenarios.trace_view import MapGeometry, RunTrace, SearchTrace, clock

MAP_WIDTH = 1000.0
OWNER_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
KIND_COLOURS = {"federal": "#b2182b", "out_of_state": "#ef8a62", "state": "#67a9cf", "local": "#2166ac"}
AUDITOR = "oakland-ca-pd"


def map_view(geometry: MapGeometry, owners: tuple[str, ...], names: dict[str, str]) -> dict:
    """Roads and cameras projected to an SVG viewBox (equirectangular at the mean latitude)."""
    lon0, lat0, lon1, lat1 = geometry.bounds
    k = MAP_WIDTH / max((lon1 - lon0) * math.cos(math.radians((lat0 + lat1) / 2)), 1e-9)
    kx = k * math.cos(math.radians((lat0 + lat1) / 2))
    pad, top = 12.0, 40.0  # room above for the owners' names

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return round(pad + (lon - lon0) * kx, 1), round(top + (lat1 - lat) * k, 1)

    path = []
    for a_lon, a_lat, b_lon, b_lat in geometry.roads:
        (x1, y1), (x2, y2) = xy(a_lon, a_lat), xy(b_lon, b_lat)
        path.append(f"M{x1} {y1}L{x2} {y2}")
    cameras = []
    for i, (cid, owner, lon, lat) in enumerate(zip(geometry.camera_ids, geometry.camera_owner, geometry.camera_lon,
                                                   geometry.camera_lat, strict=True)):
        x, y = xy(lon, lat)
        cameras.append({"index": i, "id": cid, "owner": owner, "x": x, "y": y})
    legend = []
    for i, o in enumerate(owners):
        mine = [c for c in cameras if c["owner"] == o]
        legend.append({"owner": o, "name": names.get(o, o), "colour": OWNER_COLOURS[i % len(OWNER_COLOURS)],
                       "cameras": len(mine),
                       # the owner's name above its cameras
                       "label_x": min((c["x"] for c in mine), default=pad),
                       "label_y": max(min((c["y"] for c in mine), default=top) - 22, 24)})
    width = round(2 * pad + (lon1 - lon0) * kx, 1)
    height = round(top + pad + (lat1 - lat0) * k, 1)
    return {"roads": " ".join(path), "cameras": cameras, "legend": legend, "width": width, "height": height,
            "colour": {o["owner"]: o["colour"] for o in legend}}


def search_row(trace: RunTrace, s: SearchTrace) -> dict:
    return {"id": s.search_id, "time": clock(trace, s.time_s), "org": s.org_name, "reason": s.reason,
            "on_behalf_of": trace.name(s.on_behalf_of) if s.on_behalf_of else "",
            "beneficiary": s.beneficiary, "beneficiary_name": s.beneficiary_name, "kind": s.beneficiary_kind,
            "channel": s.channel, "served": s.served, "reads": s.distinct_reads, "new_reads": s.new_reads,
            "audit_shows_outside": s.audit_shows_outside}


def sankey(trace: RunTrace) -> dict:
    """True beneficiary -> channel -> declared requester -> camera owner, weighted by the
    distinct reads each outside beneficiary received (``SearchTrace.flows``)."""
    labels: list[str] = []
    short: list[str] = []  # slugs, for phone-width screens
    colours: list[str] = []
    index: dict[tuple[str, str], int] = {}

    def node(stage: str, key: str, label: str, colour: str) -> int:
        if (stage, key) not in index:
            index[(stage, key)] = len(labels)
            labels.append(label)
            short.append(key)
            colours.append(colour)
        return index[(stage, key)]

    weights: dict[tuple[int, int], int] = {}
    for s in trace.searches:
        if not s.outside:
            continue
        for f in s.flows:
            b = node("beneficiary", s.beneficiary, s.beneficiary_name, KIND_COLOURS[s.beneficiary_kind])
            c = node("channel", f.channel, f"channel: {f.channel}", "#888888")
            r = node("requester", s.org, f"declared: {s.org_name}", "#4d4d4d")
            o = node("owner", f.owner, f"cameras: {trace.name(f.owner)}", "#1a9850")
            for link in ((b, c), (c, r), (r, o)):
                weights[link] = weights.get(link, 0) + f.reads
    links = sorted(weights.items())
    return {"labels": labels, "short": short, "colours": colours, "source": [a for (a, _), _ in links],
            "target": [b for (_, b), _ in links], "value": [v for _, v in links],
            "text": [f"{labels[a]} -> {labels[b]}: {v:,} distinct reads" for (a, b), v in links]}


def headline(trace: RunTrace) -> dict:
    h = trace.headline
    return {"policy": h.policy, "federal_distinct_reads": h.federal_distinct_reads,
            "federal_deliveries": h.federal_deliveries, "federal_searches_served": h.federal_searches_served,
            "federal_targets": h.federal_targets, "federal_targets_located": h.federal_targets_located,
            "federal_visible_share": h.federal_visible_share,
            "out_of_state_distinct_reads": h.out_of_state_distinct_reads, "legit_searches": h.legit_searches,
            "legit_denied": h.legit_denied, "bystander_reads": h.bystander_reads}


def run_view(trace: RunTrace) -> dict:
    """Everything the page redraws when the policy changes."""
    beneficiaries = sorted({(s.beneficiary, s.beneficiary_name, s.beneficiary_kind) for s in trace.searches})
    return {"policy": trace.policy, "headline": headline(trace), "sankey": sankey(trace),
            "searches": [search_row(trace, s) for s in trace.searches],
            "beneficiaries": [{"slug": b, "name": n, "kind": k} for b, n, k in beneficiaries],
            "channels": sorted({s.channel for s in trace.searches})}


def search_view(trace: RunTrace, s: SearchTrace) -> dict:
    """One search: the audit row as published beside what really happened."""
    shown = s.published_for(AUDITOR) or s.published[0]
    near = None if s.nearest_home_m is None else f"{s.nearest_home_m:,.0f} m"
    return {
        "id": s.search_id,
        "declared": [["requester", f"{s.org_name} ({s.org})"], ["user", s.user], ["reason", s.reason],
                     ["case number", s.case_number or "–"], ["offense", s.offense_type or "–"],
                     ["on behalf of", trace.name(s.on_behalf_of) if s.on_behalf_of else "–"],
                     ["search", f"{s.search_type} {s.plate or ''}".strip()], ["time", clock(trace, s.time_s)]],
        "published": {"owner": trace.name(shown.owner), "layout": shown.layout, "columns": [list(c) for c in shown.columns]},
        "also_published_by": [trace.name(p.owner) for p in s.published if p is not shown and p.layout == "network audit"],
        "true": [["beneficiary", f"{s.beneficiary_name} ({s.beneficiary_kind})"], ["channel", s.channel],
                 ["chain", " → ".join(trace.name(c) for c in s.chain)],
                 ["hand-off delay", f"{s.handoff_delay_s / 3600:g} h"],
                 ["distinct reads delivered", f"{s.distinct_reads:,} ({s.new_reads:,} first delivered by this search)"],
                 ["arrived", f"{clock(trace, s.first_arrival_s)} – {clock(trace, s.last_arrival_s)}"
                  if s.distinct_reads else "nothing delivered"],
                 ["reads at night", str(s.night_reads)],
                 ["night reads within 500 m of home", f"{s.night_reads_near_home} on {s.nights_near_home} night(s)"],
                 ["closest read to home", near or "–"],
                 ["audit shows an outside purpose", "yes" if s.audit_shows_outside else "no"]],
        "networks": [{"owner": n.owner, "name": trace.name(n.owner), "effect": n.effect, "rule": n.rule,
                      "searched": n.searched, "reads": n.reads} for n in s.networks],
        "read_cameras": list(s.read_cameras),
    }
