// Chart of past heart-rate readings (only the reliable ones) as an inline SVG: no chart library.
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 40, right: 12, top: 12, bottom: 28 };

function el(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceRange(values) {
  const low = Math.floor((Math.min(...values) - 10) / 10) * 10;
  const high = Math.ceil((Math.max(...values) + 10) / 10) * 10;
  return [Math.max(30, low), Math.min(220, high)];
}

export function renderHistoryChart(container, readings) {
  if (!readings.length) return;
  const points = readings.map((r) => ({ at: new Date(r.t), bpm: r.bpm }));
  const [low, high] = niceRange(points.map((p) => p.bpm));
  const first = points[0].at.getTime();
  const span = points.at(-1).at.getTime() - first || 1;
  const x = (p) => PAD.left + (points.length === 1 ? 0.5 : (p.at.getTime() - first) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (bpm) => PAD.top + (1 - (bpm - low) / (high - low)) * (HEIGHT - PAD.top - PAD.bottom);
  const svg = el("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    class: "history-chart",
    "aria-label": `Heart rate over time: ${points.length} reliable readings, from ${Math.min(...points.map((p) => p.bpm)).toFixed(0)} to ${Math.max(...points.map((p) => p.bpm)).toFixed(0)} beats per minute.`,
  });
  for (let bpm = low; bpm <= high; bpm += (high - low) > 60 ? 20 : 10) {
    svg.append(el("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(bpm), y2: y(bpm), class: "grid" }));
    svg.append(el("text", { x: PAD.left - 6, y: y(bpm) + 4, class: "axis", "text-anchor": "end" }, String(bpm)));
  }
  const day = { day: "numeric", month: "short" };
  svg.append(el("text", { x: PAD.left, y: HEIGHT - 8, class: "axis" }, points[0].at.toLocaleDateString(undefined, day)));
  svg.append(
    el("text", { x: WIDTH - PAD.right, y: HEIGHT - 8, class: "axis", "text-anchor": "end" }, points.at(-1).at.toLocaleDateString(undefined, day)),
  );
  svg.append(el("polyline", { points: points.map((p) => `${x(p)},${y(p.bpm)}`).join(" "), class: "line" }));
  for (const p of points) {
    const dot = el("circle", { cx: x(p), cy: y(p.bpm), r: 4, class: "dot" });
    dot.append(el("title", {}, `${p.at.toLocaleString()}: ${p.bpm.toFixed(0)} bpm`));
    svg.append(dot);
  }
  container.replaceChildren(svg);
}

const data = document.getElementById("vitals-chart-data");
const chart = document.getElementById("history-chart");
if (data && chart) renderHistoryChart(chart, JSON.parse(data.textContent));
