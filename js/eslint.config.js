// ESLint (flat config) for the front end's sources, tests, build script and the browser
// tests' page-side helpers. Formatting is Prettier's (npm run format:check), not ESLint's.

import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/"] },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      eqeqeq: "error",
      "no-var": "error",
      "prefer-const": "error",
      "no-shadow": "error",
      "no-param-reassign": "error",
      "no-implicit-coercion": ["error", { allow: ["!!"] }],
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", caughtErrors: "all" }],
      "object-shorthand": "error",
      "prefer-template": "error",
      "no-console": "error",
    },
  },
  {
    files: ["src/**/*.js", "harness/**/*.js"],
    languageOptions: { globals: globals.browser },
    // The limits the Python side keeps (ruff's McCabe 12, tests/project/test_code_shape.py's 60 lines).
    rules: {
      complexity: ["error", 12],
      "max-lines-per-function": ["error", { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  { files: ["test/**/*.js", "*.js"], languageOptions: { globals: globals.node } },
  // The build script reports what it did.
  { files: ["build.js"], rules: { "no-console": "off" } },
];
