// The block palette starts folded in a narrow canvas frame (a 1024 px window gives it about
// 610 px), so that the design has the pane; it starts open where there is room (1366 px: about
// 860). The browser side is tests/ui/test_canvas_narrow_window_1024_browser.py. `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PALETTE_OPEN_MIN_WIDTH, paletteStartsOpen } from "../src/viewport.js";

test("the palette starts open where the frame has room, folded where it has not", () => {
  assert.equal(paletteStartsOpen(858), true); // 1366×768
  assert.equal(paletteStartsOpen(1000), true); // 1440×900
  assert.equal(paletteStartsOpen(610), false); // 1024×768
  assert.equal(paletteStartsOpen(PALETTE_OPEN_MIN_WIDTH), true);
  assert.equal(paletteStartsOpen(undefined), true); // not measured: as before
  assert.equal(paletteStartsOpen(0), true);
});
