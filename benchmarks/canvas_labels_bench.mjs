// Placing the wires' labels (ui/canvas/frontend/src/wires.js placeLabels) runs once a frame
// while a block is dragged: how long it takes for a design of N blocks laid in rows of ten,
// each wired to the next, and as a ratio to the plainest check in the same run (each label at
// its usual point, labelPoint, tested against every card: what any placement does at least,
// done the simple way). Two layouts: gaps wide enough for every label, and gaps narrower than
// the labels (every label has to look along its wire). A frame is 16.7 ms.
//
//   node benchmarks/canvas_labels_bench.mjs [N ...]      (default 100 300 1000)
import { labelPoint, placeLabels } from "../ui/canvas/frontend/src/wires.js";

function design(n, pitch) {
  const cards = [];
  const wires = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / 10);
    const c = i % 10;
    cards.push({ x0: c * pitch, x1: c * pitch + 200, y0: r * 180, y1: r * 180 + 110 });
  }
  for (let i = 0; i + 1 < n; i++) {
    const a = cards[i];
    const b = cards[i + 1];
    const run = a.y0 === b.y0
      ? [[a.x1, a.y0 + 55, b.x0, b.y0 + 55]]
      : [[a.x1, a.y0 + 55, a.x1 + 20, a.y0 + 55], [a.x1 + 20, a.y0 + 55, a.x1 + 20, a.y0 + 145],
        [a.x1 + 20, a.y0 + 145, b.x0 - 20, a.y0 + 145], [b.x0 - 20, a.y0 + 145, b.x0 - 20, b.y0 + 55],
        [b.x0 - 20, b.y0 + 55, b.x0, b.y0 + 55]];
    wires.push({ id: `e${i}`, w: 60, h: 16,
                 segments: run.map(([x1, y1, x2, y2]) => ({ l: [[x1, y1], [x2, y2]] })) });
  }
  return { cards, wires };
}

function timed(fn, reps) {
  for (let i = 0; i < 3; i++) fn(); // warm
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 1);
console.log("| blocks | gaps | placeLabels ms | every label against every card ms | ratio |");
console.log("|---|---|---|---|---|");
for (const n of sizes.length ? sizes : [100, 300, 1000]) {
  for (const [gaps, pitch] of [["wide", 290], ["narrow", 260]]) {
    const { cards, wires } = design(n, pitch);
    const reps = Math.max(5, Math.round(3000 / n));
    const place = timed(() => placeLabels(wires, cards), reps);
    const base = timed(() => wires.map((w) => {
      const [x, y] = labelPoint(w.segments);
      return cards.some((c) => x - w.w / 2 < c.x1 && x + w.w / 2 > c.x0 && y - w.h / 2 < c.y1
                         && y + w.h / 2 > c.y0);
    }), reps);
    console.log(`| ${n} | ${gaps} | ${place.toFixed(2)} | ${base.toFixed(2)} | ${(place / base).toFixed(2)} |`);
  }
}
