// LayerLoom's live curves: one Streamlit component (an iframe) holding the run's charts. Each
// rerun sends the figures; a chart whose figure changed is updated in place with Plotly.react
// (no new plot, no new DOM), one that did not change is left alone. Streamlit's own
// st.plotly_chart builds a new plot on every change, which is what made watching a run costly.
import { chartConfig, plan, themed } from "./layout.js";

const Plotly = window.Plotly;
const root = document.getElementById("root");
const cells = new Map(); // key -> {cell, chart}
let signatures = new Map();
let lookKey = "";
let frameHeight = -1;

function post(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}

function cellFor(key) {
  let entry = cells.get(key);
  if (!entry) {
    const cell = document.createElement("div");
    cell.className = "cell";
    const chart = document.createElement("div");
    chart.className = "chart";
    chart.dataset.key = key; // text only: keys never reach innerHTML
    cell.appendChild(chart);
    entry = { cell, chart };
    cells.set(key, entry);
  }
  return entry;
}

function render(args, theme) {
  const figures = Array.isArray(args.figures) ? args.figures : [];
  // a new config redraws every chart, as a new theme does
  const key = JSON.stringify([theme || {}, args.config || null]);
  const step = plan(signatures, figures, key !== lookKey);
  lookKey = key;
  signatures = step.signatures;
  for (const gone of step.removed) {
    const entry = cells.get(gone);
    Plotly.purge(entry.chart);
    entry.cell.remove();
    cells.delete(gone);
  }
  figures.forEach((figure, index) => {
    const entry = cellFor(figure.key);
    if (root.children[index] !== entry.cell) root.insertBefore(entry.cell, root.children[index] || null);
  });
  for (const figure of figures) {
    if (step.redraw.includes(figure.key)) {
      Plotly.react(cells.get(figure.key).chart, figure.data, themed(figure.layout, theme),
        chartConfig(args.config));
    }
  }
  const height = Math.max(0, ...figures.map((f) => (f.layout && f.layout.height) || 0)) + 4;
  if (height !== frameHeight) {
    frameHeight = height;
    post("streamlit:setFrameHeight", { height });
  }
}

window.addEventListener("message", (event) => {
  const message = event.data;
  if (!message || message.type !== "streamlit:render") return;
  render(message.args || {}, message.theme);
});
post("streamlit:componentReady", { apiVersion: 1 });
