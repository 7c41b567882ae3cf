// The steps by which the canvas toolbar keeps to one line (src/toolbar.js measures it): plain
// JavaScript, no React, so that the Node tests read it without the packages installed.

/** The steps, in the order given up; `wrap` is the last. */
export const FIT_STEPS = ["all", "no-hint", "count-only", "wrap"];

/** The step after `step` for a toolbar that `overflows` its width: the next while it does, else
 *  the same. */
export function nextFit(step, overflows) {
  return overflows ? Math.min(step + 1, FIT_STEPS.length - 1) : step;
}
