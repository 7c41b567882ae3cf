// Copies the component's sources and plotly.js (the basic bundle: scatter, bar, pie) into build/.
// No bundler: the sources are plain ES modules that Streamlit serves as they are.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "build");
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
for (const name of readdirSync(join(here, "src"))) {
  copyFileSync(join(here, "src", name), join(out, name));
}
copyFileSync(join(here, "node_modules", "plotly.js-basic-dist-min", "plotly-basic.min.js"),
             join(out, "plotly-basic.min.js"));
console.log(`built ${readdirSync(out).join(", ")} in ${out}`);
