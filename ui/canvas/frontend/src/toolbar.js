// How the canvas toolbar keeps to one line: it is measured after each render, and while its
// content runs past its width it gives up, a step at a time, what it can spare: the hint, then
// the selection in the block count (the inspector's title says it: "2 blocks selected"). Only
// where its buttons alone do not fit (a component narrower than about 560 px) does it wrap.
import { useLayoutEffect, useState } from "react";

import { FIT_STEPS, nextFit } from "./toolbarFit.js";

export { FIT_STEPS };

/**
 * The toolbar's step (an index of FIT_STEPS) for the element `ref` holds, whose content is
 * `content` (a string that changes when its text does): from the first again whenever the
 * content or the toolbar's width changes.
 */
export function useToolbarFit(ref, content) {
  const [width, setWidth] = useState(0);
  const [fit, setFit] = useState({ key: "", step: 0 });
  const key = `${content}|${width}`;
  const step = fit.key === key ? fit.step : 0;
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === "undefined") return undefined;
    const observer = new ResizeObserver(() => setWidth(Math.round(el.clientWidth)));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const next = nextFit(step, overflows(el));
    if (fit.key !== key || next !== step) setFit({ key, step: next });
  });
  return step;
}

/** True where a child of `el` reaches past its content box (into its padding, or beyond). */
function overflows(el) {
  const box = el.getBoundingClientRect();
  const right = box.left + el.clientLeft + el.clientWidth - parseFloat(getComputedStyle(el).paddingRight);
  return [...el.children].some((c) => c.getBoundingClientRect().right > right + 0.5);
}
