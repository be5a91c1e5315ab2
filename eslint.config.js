// eslint (flat config) for the browser scripts and their unit tests. `make lint` runs it.
import js from "@eslint/js";
import globals from "globals";

const rules = {
  "no-unused-vars": ["error", { caughtErrors: "none" }],
  eqeqeq: ["error", "always"],
  "no-var": "error",
  "prefer-const": "error",
  "no-implicit-globals": "error",
};

export default [
  { ignores: ["node_modules/", ".venv/", ".venv-*/", "var/", "**/staticfiles/", "bench/results/", "competition/report/static/report/vendor/"] },
  js.configs.recommended,
  {
    // The pages' ES modules.
    files: ["frontend/static/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
    rules,
  },
  {
    // The online stage's ES modules (they import the shared ones from frontend/).
    files: ["competition/online/static/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
    rules,
  },
  {
    // The literacy report's charts: an ES module over the vendored Apache ECharts (window.echarts).
    files: ["competition/report/static/report/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser, echarts: "readonly" } },
    rules,
  },
  {
    // Classic scripts of the other apps' pages (no modules there).
    files: ["competition/static/**/*.js", "questionbank/static/**/*.js"],
    ignores: ["competition/online/static/**", "competition/report/static/**"],
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: globals.browser },
    rules,
  },
  {
    // Node's test runner over the same modules, and this file.
    files: ["tests/js/**/*.mjs", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.node },
    rules,
  },
];
