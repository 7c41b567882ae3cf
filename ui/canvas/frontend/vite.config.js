import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Streamlit serves the built component from a sub-path, so every asset URL is relative.
export default defineConfig({
  base: "./",
  plugins: [react()],
  resolve: {
    dedupe: ["react", "react-dom"],
    // streamlit-component-lib pulls in Arrow for dataframe args, which the canvas never takes.
    alias: [
      { find: /^apache-arrow$/, replacement: fileURLToPath(new URL("./src/arrow-stub.js", import.meta.url)) },
    ],
  },
  build: {
    outDir: "build",
    emptyOutDir: true,
    sourcemap: false,
  },
  server: { port: 3001, strictPort: true },
});
