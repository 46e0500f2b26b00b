// alprsim explore: redraws the figures, the table and the selected search from the server's JSON.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { run: JSON.parse($("initial").textContent), policy: $("policy").value, selected: null };
  const fmt = (n) => Number(n).toLocaleString("en-US");

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function headline(h) {
    $("fig-policy").textContent = h.policy;
    $("leak-total").textContent = String(h.federal_distinct_reads);
    $("fig-deliveries").textContent = fmt(h.federal_deliveries);
    $("fig-served").textContent = fmt(h.federal_searches_served);
    $("fig-visible").textContent = h.federal_visible_share === null ? "–" : Math.round(h.federal_visible_share * 100) + "%";
    $("fig-oos").textContent = fmt(h.out_of_state_distinct_reads);
    $("fig-denied").textContent = fmt(h.legit_denied) + " / " + fmt(h.legit_searches);
  }

  function sankey(s) {
    const body = $("sankey-table").querySelector("tbody");
    body.replaceChildren();
    s.source.forEach((a, i) => {
      const tr = el("tr");
      tr.append(el("td", {}, s.labels[a]), el("td", {}, s.labels[s.target[i]]), el("td", {}, fmt(s.value[i])));
      body.append(tr);
    });
    if (!s.value.length) {
      Plotly.purge("sankey");
      $("sankey").replaceChildren(el("p", { class: "empty" }, "No reads reached a federal or out-of-state agency under this policy."));
      return;
    }
    if (!$("sankey").querySelector(".js-plotly-plot, .main-svg")) $("sankey").replaceChildren();
    const narrow = window.innerWidth < 600;
    Plotly.react("sankey", [{
      type: "sankey", arrangement: "snap",
      node: { label: narrow ? s.short : s.labels, customdata: s.labels, hovertemplate: "%{customdata}<extra></extra>", color: s.colours, pad: narrow ? 6 : 12, thickness: narrow ? 10 : 16 },
      link: { source: s.source, target: s.target, value: s.value, label: s.text, color: "rgba(120,120,120,0.35)" },
    }], { margin: { l: 4, r: 4, t: 8, b: 8 }, height: narrow ? 420 : 480, font: { size: narrow ? 9 : 12 } },
    { displayModeBar: false, responsive: true, staticPlot: false });
  }

  function filters(run) {
    const fb = $("f-beneficiary"), fc = $("f-channel");
    const keepB = fb.value || "outside", keepC = fc.value || "";
    fb.replaceChildren(el("option", { value: "outside" }, "federal and out-of-state"), el("option", { value: "" }, "all"));
    for (const b of run.beneficiaries) fb.append(el("option", { value: b.slug }, `${b.name} (${b.kind})`));
    fc.replaceChildren(el("option", { value: "" }, "all"));
    for (const c of run.channels) fc.append(el("option", { value: c }, c));
    fb.value = [...fb.options].some((o) => o.value === keepB) ? keepB : "outside";
    fc.value = [...fc.options].some((o) => o.value === keepC) ? keepC : "";
  }

  function table() {
    const b = $("f-beneficiary").value, c = $("f-channel").value;
    const rows = state.run.searches.filter((s) =>
      (b === "" || (b === "outside" ? (s.kind === "federal" || s.kind === "out_of_state") : s.beneficiary === b)) &&
      (c === "" || s.channel === c));
    const body = $("searches-table").querySelector("tbody");
    body.replaceChildren();
    for (const s of rows) {
      const tr = el("tr", { tabindex: "0", "data-id": s.id, "aria-selected": String(s.id === state.selected) });
      tr.append(el("td", {}, s.time), el("td", {}, s.org), el("td", {}, s.reason),
        el("td", { class: "kind-" + s.kind }, s.beneficiary_name), el("td", {}, s.channel),
        el("td", { class: "num" }, s.served ? fmt(s.reads) : "denied"),
        el("td", {}, s.audit_shows_outside ? "yes" : "no"));
      tr.addEventListener("click", () => select(s.id));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(s.id); } });
      body.append(tr);
    }
    $("count").textContent = `${fmt(rows.length)} of ${fmt(state.run.searches.length)} searches`;
  }

  function pairs(title, list) {
    const box = [el("h3", {}, title)];
    const dl = el("dl");
    for (const [k, v] of list) dl.append(el("dt", {}, k), el("dd", {}, v === "" ? "(blank)" : v));
    box.push(dl);
    return box;
  }

  function highlight(detail) {
    const searched = new Set(detail ? detail.networks.filter((n) => n.searched).map((n) => n.owner) : []);
    const hit = new Set(detail ? detail.read_cameras : []);
    document.querySelectorAll("#cameras .cam").forEach((c) => {
      c.classList.toggle("reached", searched.has(c.dataset.owner));
      c.classList.toggle("dim", detail !== null && !searched.has(c.dataset.owner));
      c.classList.toggle("hit", hit.has(Number(c.dataset.index)));
    });
    if (!detail) { $("map-caption").textContent = "Select a search to see which networks it reached."; return; }
    const reached = detail.networks.map((n) => `${n.name}: ${n.effect} (${n.rule})${n.searched ? ", " + n.reads + " reads" : ""}`);
    $("map-caption").textContent = reached.length
      ? `Search ${detail.id} reached ${reached.join("; ")}. ${hit.size} camera(s) produced the reads delivered.`
      : `Search ${detail.id} reached no network.`;
  }

  async function select(id) {
    state.selected = id;
    document.querySelectorAll("#searches-table tbody tr").forEach((tr) => tr.setAttribute("aria-selected", String(tr.dataset.id === id)));
    const r = await fetch(`/api/run/${encodeURIComponent(state.policy)}/search/${encodeURIComponent(id)}`);
    if (!r.ok) { $("status").textContent = `could not load ${id}`; return; }
    const d = await r.json();
    $("detail-id").textContent = d.id;
    const audit = pairs(`As published: ${d.published.owner}'s ${d.published.layout}`, d.published.columns);
    if (d.also_published_by.length) audit.push(el("p", { class: "note" }, "Also in the network audit of " + d.also_published_by.join(", ") + "."));
    $("audit-row").replaceChildren(...audit);
    const truth = pairs("What really happened", d.true);
    const nets = el("table");
    nets.append(el("caption", {}, "Networks reached: each owner's decision and the rule that made it"));
    const head = el("tr");
    for (const h of ["owner", "decision", "rule", "reads"]) head.append(el("th", { scope: "col" }, h));
    nets.append(head);
    for (const n of d.networks) {
      const tr = el("tr");
      tr.append(el("td", {}, n.name), el("td", {}, n.effect), el("td", {}, n.rule), el("td", { class: "num" }, n.searched ? fmt(n.reads) : "–"));
      nets.append(tr);
    }
    $("true-face").replaceChildren(...truth, d.networks.length ? nets : el("p", {}, "No network was reached."));
    highlight(d);
  }

  function draw() {
    headline(state.run.headline);
    sankey(state.run.sankey);
    filters(state.run);
    table();
  }

  async function load(policy) {
    $("status").textContent = `computing ${policy}…`;
    document.body.classList.add("busy");
    const t0 = performance.now();
    const r = await fetch(`/api/run/${encodeURIComponent(policy)}`);
    document.body.classList.remove("busy");
    if (!r.ok) { $("status").textContent = `could not run ${policy}`; return false; }
    state.run = await r.json();
    state.policy = policy;
    draw();
    $("status").textContent = `showing ${policy} (${Math.round(performance.now() - t0)} ms)`;
    if (state.selected && state.run.searches.some((s) => s.id === state.selected)) select(state.selected);
    return true;
  }

  $("policy").addEventListener("change", (e) => load(e.target.value));
  $("f-beneficiary").addEventListener("change", table);
  $("f-channel").addEventListener("change", table);
  highlight(null);
  if (state.run) {
    draw();
    document.body.dataset.ready = "true";
  } else {
    load(state.policy).then(() => { document.body.dataset.ready = "true"; });
  }
})();
