/**
 * mocha's spec reporter plus, at the end, the wall time spent in each test file (its top-level
 * suites, hooks included), slowest first: where the suite's time goes (issue 11's time budget).
 * Plain CommonJS: mocha loads reporters with require().
 */
'use strict';
const { relative } = require('node:path');
const Mocha = require('mocha');
const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_RUN_END } = Mocha.Runner.constants;

class FileTimes extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const totals = new Map();
    const started = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.parent && suite.parent.root && suite.file) started.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t0 = started.get(suite);
      if (t0 === undefined) return;
      const f = relative(process.cwd(), suite.file);
      totals.set(f, (totals.get(f) || 0) + Date.now() - t0);
    });
    runner.once(EVENT_RUN_END, () => {
      if (!totals.size) return;
      const rows = [...totals].sort((a, b) => b[1] - a[1]);
      process.stdout.write('\n  time per file (s):\n');
      for (const [f, ms] of rows) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(7)}  ${f}\n`);
    });
  }
}
module.exports = FileTimes;
