import test from "node:test";
import assert from "node:assert/strict";
import { fittedHeight, history } from "../src/frame.js";

test("the canvas fills the window down to the room kept below it", () => {
  // 1280x720, the canvas 171 px from the top, 70 px kept for the status bar
  assert.equal(fittedHeight({ innerHeight: 720, top: 171, below: 70, min: 420, fallback: 660 }), 479);
  // 1920x1080: the space is used
  assert.equal(fittedHeight({ innerHeight: 1080, top: 171, below: 70, min: 420, fallback: 660 }), 839);
});

test("a small window keeps the canvas readable: never below the minimum", () => {
  assert.equal(fittedHeight({ innerHeight: 500, top: 171, below: 70, min: 420, fallback: 660 }), 420);
});

test("a window that cannot be measured gets the fallback height", () => {
  assert.equal(fittedHeight({ innerHeight: undefined, top: 171, min: 420, fallback: 660 }), 660);
  assert.equal(fittedHeight({ innerHeight: 0, top: 0, fallback: 640 }), 640);
});

test("undo and redo are off when Python's history is empty and nothing is pending", () => {
  assert.deepEqual(history(false, false, []), { undo: false, redo: false });
  assert.deepEqual(history(true, false, []), { undo: true, redo: false });
  assert.deepEqual(history(undefined, undefined, []), { undo: true, redo: true }); // not said
});

test("a change sent and not answered yet can be undone; an undo sent, redone", () => {
  assert.deepEqual(history(false, false, [{ seq: 1, event: "change" }]), { undo: true, redo: false });
  assert.deepEqual(history(false, false, [{ seq: 2, event: "undo" }]), { undo: false, redo: true });
  assert.deepEqual(history(false, false, [{ seq: 3, event: "select" }]), { undo: false, redo: false });
});

test("a change the canvas made by itself (blocks moved apart on arrival) is no undo step", () => {
  assert.deepEqual(history(false, false, [{ seq: 1, event: "change", arranged: true }]), { undo: false, redo: false });
  assert.deepEqual(
    history(false, false, [{ seq: 1, event: "change", arranged: true }, { seq: 2, event: "change" }]),
    { undo: true, redo: false },
  );
});
