// Lint rules: type-aware TypeScript, floating promises are errors, and workflow code may not
// import Node built-ins (docs/architecture.md rule 1: workflows are deterministic).
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["node_modules/**", "site/dist/**", "site/src/.observablehq/**", "data/**", "eslint.config.js", "site/observablehq.config.js"],
  },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["workflows/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*"], message: "Workflows are deterministic: do I/O in activities." },
            {
              group: ["fs", "path", "os", "crypto", "child_process", "http", "https", "net"],
              message: "Workflows are deterministic: do I/O in activities.",
            },
            { group: ["../activities/*", "../activities"], allowTypeImports: true, message: "Import activities as types only." },
          ],
        },
      ],
    },
  },
);
