// kgx-spacy page script (MIT, part of kgx-spacy): draws the documents of the JSON in
// #kgx-data (kgx_spacy.view.records.doc_record) as marked text with arcs and as a graph.
// Text only ever enters the page through textContent and setAttribute, never as HTML.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const data = JSON.parse(document.getElementById("kgx-data").textContent);
  const main = document.getElementById("kgx-documents");
  const slider = document.getElementById("kgx-threshold");
  const tip = document.getElementById("kgx-tip");
  const tips = new WeakMap(); // drawn element → its tooltip lines
  let views = []; // per document: what layoutArcs needs

  function make(tag, attrs, parent, svg) {
    const node = svg ? document.createElementNS(SVG, tag) : document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    if (parent) parent.appendChild(node);
    return node;
  }
  const svgNode = (tag, attrs, parent) => make(tag, attrs, parent, true);
  function text(node, value) { node.textContent = value; return node; }
  const fmt = (x) => Number(x).toFixed(3);
  const score = (x) => (x === null || x === undefined ? 1 : Number(x));

  function hue(label) {
    let h = 0;
    for (const c of String(label)) h = (h * 31 + c.codePointAt(0)) % 360;
    return h;
  }
  const fill = (label) => (label ? `hsl(${hue(label)}, 70%, 84%)` : "#eee");
  function localName(iri) {
    const tail = String(iri).replace(/[/#]+$/, "").split(/[/#]/).pop();
    try { return decodeURIComponent(tail); } catch (e) { return tail; }
  }
  const short = (value, n) => (value.length > n ? value.slice(0, n - 1) + "…" : value);

  // --- one document ---------------------------------------------------------------------

  function prepare(d) {
    const chars = (offsets) => {
      const [s, e] = offsets;
      if (e <= s) { const at = s < d.tokens.length ? d.tokens[s][0] : d.text.length; return [at, at]; }
      return [d.tokens[s][0], d.tokens[e - 1][1]];
    };
    const sentence = (a, b) => {
      const inside = d.sents.map(chars).filter(([s, e]) => s < Math.max(b, a + 1) && e > a);
      return inside.length ? d.text.slice(inside[0][0], inside[inside.length - 1][1]) : d.text;
    };
    const marks = new Map(); // "start:end" (tokens) → mark
    const mark = (offsets, kind, extra) => {
      const key = offsets.join(":");
      if (!marks.has(key)) {
        const [a, b] = chars(offsets);
        marks.set(key, Object.assign({ a, b, kind, confidence: 0, order: marks.size }, extra));
      }
      return marks.get(key);
    };
    d.ents.forEach((ent) => mark([ent.start, ent.end], "entity", { ent, confidence: score(ent.score) }));
    const nodes = new Map(); // IRI → graph node
    const node = (iri, m) => {
      if (!nodes.has(iri)) nodes.set(iri, { iri, kind: "entity", mentions: [], confidence: 0 });
      const n = nodes.get(iri);
      if (m && !n.mentions.includes(m)) {
        n.mentions.push(m);
        n.confidence = Math.max(n.confidence, m.ent ? score(m.ent.score) : 0);
      }
      return n;
    };
    d.ents.forEach((ent) => node(ent.iri, mark([ent.start, ent.end])));
    const facts = [];
    d.kgx_relations.forEach((rel) => {
      const head = mark(rel.head, "argument"), tail = mark(rel.tail, "argument");
      const [a, b] = [Math.min(head.a, tail.a), Math.max(head.b, tail.b)];
      facts.push({ kind: "relation", rel, head, tail, from: node(rel.head_iri, head), to: node(rel.tail_iri, tail),
        label: rel.label, confidence: score(rel.score), sentence: sentence(a, b) });
    });
    d.kgx_attributes.forEach((attr) => {
      const entity = mark(attr.entity, "argument"), value = mark(attr.value, "value");
      if (value.kind === "value") value.confidence = Math.max(value.confidence, score(attr.score));
      const literal = attr.lexical || d.text.slice(value.a, value.b);
      const [a, b] = [Math.min(entity.a, value.a), Math.max(entity.b, value.b)];
      const lit = { iri: null, kind: "literal", literal, datatype: attr.datatype, confidence: score(attr.score) };
      facts.push({ kind: "attribute", attr, head: entity, tail: value, from: node(attr.entity_iri, entity), to: lit,
        label: attr.attribute, literal, confidence: score(attr.score), sentence: sentence(a, b) });
    });
    for (const m of marks.values()) {
      if (m.kind === "argument") m.confidence = Math.max(0, ...facts.filter((f) => f.head === m || f.tail === m).map((f) => f.confidence));
      m.sentence = sentence(m.a, m.b);
      m.text = d.text.slice(m.a, m.b);
    }
    for (const n of nodes.values()) {
      const ents = n.mentions.filter((m) => m.ent).map((m) => m.ent);
      n.labels = [...new Set(ents.map((e) => e.label))];
      n.linked = ents.some((e) => e.linked);
      n.nil = ents.some((e) => e.nil);
      n.text = n.mentions.length ? d.text.slice(n.mentions[0].a, n.mentions[0].b) : localName(n.iri);
      n.sentence = n.mentions.length ? n.mentions[0].sentence : "";
      if (!ents.length) n.confidence = Math.max(0, ...facts.filter((f) => f.from === n || f.to === n).map((f) => f.confidence));
    }
    return { marks: [...marks.values()], nodes: [...nodes.values()], facts };
  }

  function status(ent) {
    if (ent.linked) return { badge: localName(ent.iri), line: `linked: ${ent.iri}`, cls: "kgx-linked" };
    if (ent.nil) return { badge: "new", line: `new entity (NIL): ${ent.iri}`, cls: "kgx-new" };
    return { badge: "", line: `minted IRI: ${ent.iri}`, cls: "kgx-unlinked" };
  }

  function drawText(d, model, parent) {
    const wrap = make("div", { class: "kgx-text-wrap" }, parent);
    const arcs = svgNode("svg", { class: "kgx-arcs", "aria-hidden": "true" }, wrap);
    const defs = svgNode("defs", {}, arcs);
    const arrow = svgNode("marker", { id: `kgx-arrow-${views.length}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    svgNode("path", { d: "M0,0 L10,5 L0,10 z", fill: "#445" }, arrow);
    const body = make("div", { class: "kgx-text" }, wrap);
    // Cut the text at every mark's ends; marks that overlap without nesting are split,
    // and only the first piece of a mark carries its data-kgx-kind.
    const cuts = [...new Set([0, d.text.length, ...model.marks.flatMap((m) => [m.a, m.b])])].sort((x, y) => x - y);
    let open = [];
    for (let k = 0; k < cuts.length - 1; k++) {
      const [a, b] = [cuts[k], cuts[k + 1]];
      const active = model.marks.filter((m) => m.a <= a && m.b >= b)
        .sort((x, y) => x.a - y.a || y.b - x.b || x.order - y.order);
      let same = 0;
      while (same < open.length && same < active.length && open[same].mark === active[same]) same++;
      open = open.slice(0, same);
      for (const m of active.slice(same)) {
        const piece = openMark(m, open.length ? open[open.length - 1].node : body);
        open.push({ mark: m, node: piece });
      }
      (open.length ? open[open.length - 1].node : body).appendChild(document.createTextNode(d.text.slice(a, b)));
    }
    for (const m of model.marks) {
      if (!m.element) openMark(m, body); // an empty span still gets its element
    }
    const arcFacts = model.facts.map((f) => {
      const g = svgNode("g", { class: `kgx-arc kgx-${f.kind}`, "data-kgx-kind": f.kind, "data-kgx-view": "text",
        "data-confidence": f.confidence }, arcs);
      const path = svgNode("path", { "marker-end": `url(#${arrow.id})` }, g);
      const caption = f.kind === "relation" ? `${f.label} ${fmt(f.confidence)}` : `${f.label}: ${short(f.literal, 30)} ${fmt(f.confidence)}`;
      const label = text(svgNode("text", { "text-anchor": "middle" }, g), caption);
      tips.set(g, factTip(f));
      return { f, path, label };
    });
    return { wrap, body, arcs: arcFacts };
  }

  function openMark(m, parent) {
    if (m.element) return make("mark", { class: m.element.getAttribute("class"), "data-kgx-part": "" }, parent);
    const attrs = { "data-kgx-view": "text", "data-confidence": m.confidence };
    if (m.ent) {
      const s = status(m.ent);
      Object.assign(attrs, { class: `kgx-ent ${s.cls}`, "data-kgx-kind": "entity", "data-label": m.ent.label,
        "data-iri": m.ent.iri, "data-badge": s.badge ? `${m.ent.label} · ${s.badge}` : m.ent.label,
        style: `background: ${fill(m.ent.label)}` });
      m.element = make("mark", attrs, parent);
      tips.set(m.element, [`${m.ent.label} “${m.text}”`, `confidence ${fmt(m.ent.score)}`, s.line, `sentence: ${m.sentence}`]);
    } else {
      Object.assign(attrs, { class: m.kind === "value" ? "kgx-value" : "kgx-arg", "data-kgx-kind": m.kind });
      m.element = make("mark", attrs, parent);
      tips.set(m.element, [m.kind === "value" ? "attribute value" : "argument (not an entity)",
        `confidence ${fmt(m.confidence)}`, `sentence: ${m.sentence}`]);
    }
    return m.element;
  }

  function factTip(f) {
    const lines = f.kind === "relation"
      ? [`${f.label}: “${f.from.text}” → “${f.to.text}”`, `confidence ${fmt(f.confidence)}`, `property: ${f.rel.property}`,
        `head: ${f.from.iri}`, `tail: ${f.to.iri}`]
      : [`${f.label} of “${f.from.text}”: ${f.literal}`, `confidence ${fmt(f.confidence)}`, `property: ${f.attr.property}`,
        `entity: ${f.from.iri}`, ...(f.attr.datatype ? [`datatype: ${f.attr.datatype}`] : [])];
    return [...lines, `sentence: ${f.sentence}`];
  }

  // Arcs go above the text from the first box of one mark to the first box of the other;
  // nested arcs on one line stack up in levels, and an arc whose label would cover another
  // label goes up a level until it does not.
  function layoutArcs(view) {
    view.body.style.paddingTop = "";
    const top = placeArcs(view);
    if (top < 0) { // the arcs of the first line need more room above it
      view.body.style.paddingTop = `${parseFloat(getComputedStyle(view.body).paddingTop) - top + 4}px`;
      placeArcs(view);
    }
  }

  // RETURNS the highest point of the arcs and labels (px from the top of the text block).
  function placeArcs(view) {
    const origin = view.wrap.getBoundingClientRect();
    const placed = [], labels = [];
    const anchor = (m) => {
      const r = m.element.getClientRects()[0] || m.element.getBoundingClientRect();
      return { x: r.left + r.width / 2 - origin.left, y: r.top - origin.top, line: Math.round(r.top) };
    };
    const overlaps = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    const items = view.arcs.map((arc) => ({ arc, p: anchor(arc.f.head), q: anchor(arc.f.tail) }));
    items.sort((u, v) => Math.abs(u.p.x - u.q.x) - Math.abs(v.p.x - v.q.x));
    for (const { arc, p, q } of items) {
      if (Math.abs(p.x - q.x) < 4 && p.y === q.y) q.x += 14;
      const [lo, hi] = [Math.min(p.x, q.x), Math.max(p.x, q.x)];
      let level = 1;
      for (const other of placed) {
        if (other.line === p.line && p.line === q.line && other.lo < hi && other.hi > lo) level = Math.max(level, other.level + 1);
      }
      for (let tries = 0; tries < 10; tries++, level++) {
        const top = Math.min(p.y, q.y) - 6 - 17 * level - (p.line === q.line ? 0 : 12);
        arc.path.setAttribute("d", `M${p.x},${p.y} C${p.x},${top} ${q.x},${top} ${q.x},${q.y}`);
        arc.label.setAttribute("x", (p.x + q.x) / 2);
        arc.label.setAttribute("y", 0.125 * (p.y + q.y) + 0.75 * top - 3);
        if (!labels.some((box) => overlaps(box, arc.label.getBBox()))) break;
      }
      labels.push(arc.label.getBBox());
      placed.push({ line: p.line, lo, hi, level });
    }
    return Math.min(0, ...labels.filter((box) => box.height).map((box) => box.y));
  }

  function drawGraph(model, parent, n) {
    const svg = svgNode("svg", { class: "kgx-graph", role: "img", "aria-label": "document graph" }, parent);
    const defs = svgNode("defs", {}, svg);
    const arrow = svgNode("marker", { id: `kgx-garrow-${n}`, viewBox: "0 0 10 10", refX: 10, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    svgNode("path", { d: "M0,0 L10,5 L0,10 z", fill: "#667" }, arrow);
    const literals = model.facts.filter((f) => f.kind === "attribute").map((f) => f.to);
    const all = [...model.nodes, ...literals];
    const links = model.facts.map((f) => [all.indexOf(f.from), all.indexOf(f.to)]);
    const pos = layout(all.length, links);
    const edges = svgNode("g", {}, svg);
    const groups = new Map(); // node pair → facts between them, for parallel curves
    model.facts.forEach((f, i) => {
      const key = [links[i][0], links[i][1]].sort((x, y) => x - y).join(":");
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(i);
    });
    model.facts.forEach((f, i) => {
      const [s, t] = links[i];
      const group = groups.get([s, t].sort((x, y) => x - y).join(":"));
      const bend = (group.indexOf(i) - (group.length - 1) / 2) * 34;
      const d = edgePath(pos[s], pos[t], s === t ? 40 + 20 * group.indexOf(i) : bend, s === t);
      const g = svgNode("g", { class: `kgx-edge kgx-${f.kind}`, "data-kgx-kind": f.kind, "data-kgx-view": "graph",
        "data-confidence": f.confidence }, edges);
      svgNode("path", { class: "kgx-hit", d: d.path }, g);
      svgNode("path", { class: "kgx-line", d: d.path, "marker-end": `url(#${arrow.id})` }, g);
      text(svgNode("text", { x: d.mid[0], y: d.mid[1] - 3, "text-anchor": "middle" }, g), `${f.label} ${fmt(f.confidence)}`);
      tips.set(g, factTip(f));
    });
    all.forEach((v, i) => {
      const [x, y] = pos[i];
      if (v.kind === "literal") {
        const g = svgNode("g", { class: "kgx-literal", "data-kgx-kind": "literal", "data-kgx-view": "graph",
          "data-confidence": v.confidence }, svg);
        const label = text(svgNode("text", { x, y: y + 4, "text-anchor": "middle" }, g), short(v.literal, 28));
        const width = Math.max(30, 7 * label.textContent.length + 10);
        g.insertBefore(svgNode("rect", { x: x - width / 2, y: y - 10, width, height: 20, rx: 4 }), label);
        tips.set(g, [`literal: ${v.literal}`, ...(v.datatype ? [`datatype: ${v.datatype}`] : [])]);
        return;
      }
      const cls = v.linked ? "kgx-linked" : v.nil ? "kgx-new" : "kgx-unlinked";
      const g = svgNode("g", { class: `kgx-node ${cls}`, "data-kgx-kind": "entity", "data-kgx-view": "graph",
        "data-iri": v.iri, "data-confidence": v.confidence }, svg);
      svgNode("circle", { cx: x, cy: y, r: 9, fill: fill(v.labels[0]) }, g);
      text(svgNode("text", { x, y: y + 22, "text-anchor": "middle" }, g), short(v.text, 30));
      const state = v.linked ? `linked: ${v.iri}` : v.nil ? `new entity (NIL): ${v.iri}` : `minted IRI: ${v.iri}`;
      tips.set(g, [`“${v.text}”${v.labels.length ? " " + v.labels.join(", ") : ""}`, `confidence ${fmt(v.confidence)}`,
        state, `mentions: ${v.mentions.length}`, ...(v.sentence ? [`sentence: ${v.sentence}`] : [])]);
    });
    const xs = pos.map((p) => p[0]), ys = pos.map((p) => p[1]);
    const [x0, x1, y0, y1] = xs.length ? [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)] : [0, 0, 0, 0];
    const [width, height] = [x1 - x0 + 220, y1 - y0 + 100];
    svg.setAttribute("viewBox", `${x0 - 110} ${y0 - 50} ${width} ${height}`);
    svg.style.height = `${Math.min(720, Math.max(300, height))}px`; // at most life size
  }

  function edgePath(p, q, bend, loop) {
    if (loop) {
      const [x, y] = p;
      return { path: `M${x - 6},${y - 7} C${x - bend},${y - 2 * bend} ${x + bend},${y - 2 * bend} ${x + 6},${y - 7}`, mid: [x, y - 1.5 * bend] };
    }
    const [dx, dy] = [q[0] - p[0], q[1] - p[1]];
    const length = Math.hypot(dx, dy) || 1;
    const [ux, uy] = [dx / length, dy / length];
    const [sx, sy, tx, ty] = [p[0] + 11 * ux, p[1] + 11 * uy, q[0] - 12 * ux, q[1] - 12 * uy];
    const [cx, cy] = [(p[0] + q[0]) / 2 - uy * bend, (p[1] + q[1]) / 2 + ux * bend];
    return { path: `M${sx},${sy} Q${cx},${cy} ${tx},${ty}`, mid: [(sx + 2 * cx + tx) / 4, (sy + 2 * cy + ty) / 4] };
  }

  // A force layout (Fruchterman–Reingold) from a circle: the same graph always gets the
  // same picture.
  function layout(n, links) {
    const pos = Array.from({ length: n }, (_, i) => [
      200 * Math.cos((2 * Math.PI * i) / Math.max(n, 1)), 200 * Math.sin((2 * Math.PI * i) / Math.max(n, 1))]);
    const k = 150, rounds = n > 300 ? 60 : 300;
    for (let round = 0; round < rounds; round++) {
      const heat = 40 * (1 - round / rounds) + 1;
      const move = pos.map(() => [0, 0]);
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          let [dx, dy] = [pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]];
          const dist = Math.hypot(dx, dy) || 0.01;
          const force = (k * k) / dist;
          [dx, dy] = [(dx / dist) * force, (dy / dist) * force];
          move[i][0] += dx; move[i][1] += dy; move[j][0] -= dx; move[j][1] -= dy;
        }
      }
      for (const [s, t] of links) {
        if (s === t) continue;
        const [dx, dy] = [pos[s][0] - pos[t][0], pos[s][1] - pos[t][1]];
        const dist = Math.hypot(dx, dy) || 0.01;
        const force = (dist * dist) / k;
        move[s][0] -= (dx / dist) * force; move[s][1] -= (dy / dist) * force;
        move[t][0] += (dx / dist) * force; move[t][1] += (dy / dist) * force;
      }
      pos.forEach((p, i) => {
        move[i][0] -= 0.05 * p[0] * k / 50; move[i][1] -= 0.05 * p[1] * k / 50; // gravity: loose parts stay near
        const size = Math.hypot(move[i][0], move[i][1]) || 1;
        p[0] += (move[i][0] / size) * Math.min(size, heat);
        p[1] += (move[i][1] / size) * Math.min(size, heat);
      });
    }
    return pos;
  }

  // --- the page ---------------------------------------------------------------------------

  function draw(documents) {
    main.replaceChildren();
    views = [];
    const totals = { entities: 0, relations: 0, attributes: 0 };
    const labels = new Set();
    documents.forEach((d, n) => {
      const model = prepare(d);
      const section = make("section", { class: "kgx-doc", "data-kgx-document": n }, main);
      text(make("h2", {}, section), d.id || `document ${n + 1}`);
      text(make("div", { class: "kgx-iri" }, section), d.iri);
      text(make("p", { class: "kgx-counts" }, section),
        `${d.ents.length} entities · ${d.kgx_relations.length} relations · ${d.kgx_attributes.length} attributes`);
      const view = drawText(d, model, section);
      views.push(view);
      drawGraph(model, section, n);
      totals.entities += d.ents.length; totals.relations += d.kgx_relations.length; totals.attributes += d.kgx_attributes.length;
      d.ents.forEach((e) => labels.add(e.label));
    });
    text(document.getElementById("kgx-summary"), `${documents.length} documents · ${totals.entities} entities · `
      + `${totals.relations} relations · ${totals.attributes} attributes`);
    const legend = document.getElementById("kgx-legend");
    legend.replaceChildren();
    [...labels].sort().forEach((label) => text(make("span", { class: "kgx-swatch", style: `background: ${fill(label)}` }, legend), label));
    text(make("span", {}, legend), " dashed: new entity (NIL) · dotted underline: attribute value");
    views.forEach(layoutArcs);
    threshold();
  }

  function threshold() {
    const limit = Number(slider.value);
    text(document.getElementById("kgx-threshold-value"), limit.toFixed(2));
    document.querySelectorAll("[data-confidence]").forEach((node) => {
      node.classList.toggle("kgx-below", Number(node.getAttribute("data-confidence")) < limit);
    });
  }

  function owner(node) {
    for (; node && node !== document; node = node.parentNode) if (tips.has(node)) return node;
    return null;
  }
  document.addEventListener("mouseover", (event) => {
    const node = owner(event.target);
    if (!node) { tip.hidden = true; return; }
    text(tip, tips.get(node).join("\n"));
    tip.style.left = `${Math.min(event.clientX + 14, window.innerWidth - 360)}px`;
    tip.style.top = `${event.clientY + 14}px`;
    tip.hidden = false;
  });
  document.addEventListener("mouseout", (event) => {
    if (!owner(event.relatedTarget)) tip.hidden = true;
  });
  slider.addEventListener("input", threshold);
  let pending = false;
  window.addEventListener("resize", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; views.forEach(layoutArcs); });
  });

  const form = document.getElementById("kgx-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const say = document.getElementById("kgx-status");
      text(say, "extracting…");
      const body = { text: form.elements.text.value, store: Boolean(form.elements.store && form.elements.store.checked) };
      try {
        const answer = await fetch("extract", { method: "POST", body: JSON.stringify(body),
          headers: { "Content-Type": "application/json", Accept: "application/json" } });
        const json = await answer.json();
        if (!answer.ok) { text(say, json.error || answer.statusText); return; }
        draw(json.documents);
        text(say, "");
      } catch (err) {
        text(say, String(err));
      }
    });
  }
  draw(data.documents);
})();
