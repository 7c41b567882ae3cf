// Pure helpers of the live-chart component (no DOM, no Plotly): tested with `node --test`.

/** Streamlit's theme as Plotly layout: transparent backgrounds, the theme's text colour and font,
 *  faint grid lines, so that the charts sit on the page like Streamlit's own. */
export function themed(layout, theme) {
  const t = theme || {};
  const dark = t.base === "dark";
  const text = t.textColor || (dark ? "#fafafa" : "#31333f");
  const grid = dark ? "rgba(250, 250, 250, 0.12)" : "rgba(49, 51, 63, 0.12)";
  const axis = (given) => ({ gridcolor: grid, zerolinecolor: grid, linecolor: grid, ...(given || {}) });
  const { width, ...rest } = layout || {}; // the chart fills its cell
  return {
    ...rest,
    autosize: true,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: t.font || "sans-serif", color: text, size: 12, ...(rest.font || {}) },
    xaxis: axis(rest.xaxis),
    yaxis: axis(rest.yaxis),
  };
}

/** What has to change on the page: for each figure (by key), whether it must be redrawn; and
 *  the keys no longer shown. A figure is redrawn only when its content or the theme changed. */
export function plan(previous, figures, themeChanged) {
  const next = new Map();
  const redraw = [];
  for (const figure of figures) {
    const signature = JSON.stringify([figure.data, figure.layout]);
    next.set(figure.key, signature);
    if (themeChanged || previous.get(figure.key) !== signature) redraw.push(figure.key);
  }
  const removed = [...previous.keys()].filter((key) => !next.has(key));
  return { signatures: next, redraw, removed };
}

/** Plotly's config for the charts: the one Python sends (the app's, ui/charts.py CONFIG), else a
 *  mode bar without the logo and without the selection tools, which have nothing to select. */
export function chartConfig(given) {
  const base = { displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  const config = given && typeof given === "object" ? { ...base, ...given } : base;
  return { ...config, responsive: true }; // the chart follows its cell's width
}
