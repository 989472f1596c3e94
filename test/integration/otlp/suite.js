// The OTLP-only suite (issue 18 item 1, "every view, the dashboard, ask.md … work on them"), run by
// `FLOWLENS_TESTS_DIR=otlp node test/e2e/run-ext-tests.js`: the scratch workspace is emptied and
// holds only the OTLP fixtures of test/fixtures/otlp (Collector JSONL, Python json-file JSONL, an
// OTLP/JSON document, ConsoleSpanExporter output in otel/, the hostile file) plus one source file
// the Python fixture's `code.filepath` (/app/ingest/validate.py) maps onto by suffix.
'use strict';
const fs = require('fs');
const path = require('path');

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'otlp');

/** ingest/validate.py: line 12 is where the fixture's `code.lineno` points (the ValueError of run e6b1…), line 19 its traceback's raise. */
const VALIDATE_PY = [
  '"""Row validation for the ingest worker (the traced app\'s source, as the Python fixture names it)."""',
  '',
  'MAX_PRICE = 1_000_000',
  '',
  '',
  'def _price(row):',
  '    return float(row["price"])',
  '',
  '',
  '# validate: every row has a price in [0, MAX_PRICE]',
  '',
  'def validate(rows):',
  '    for i, row in enumerate(rows):',
  '        price = _price(row)',
  '        if price > MAX_PRICE:',
  '            raise ValueError(f"row {i}: price too large")',
  '        if price >= 0:',
  '            continue',
  '        raise ValueError(f"row {i}: price is negative")',
  '    return rows',
  '',
].join('\n');

module.exports = {
  name: 'integration-otlp',
  /** @param {string} workspace */
  prepare(workspace) {
    for (const name of fs.readdirSync(workspace)) fs.rmSync(path.join(workspace, name), { recursive: true, force: true });
    for (const name of fs.readdirSync(FIXTURES)) {
      if (name === 'README.md') continue;
      fs.cpSync(path.join(FIXTURES, name), path.join(workspace, name), { recursive: true });
    }
    fs.mkdirSync(path.join(workspace, 'ingest'), { recursive: true });
    fs.writeFileSync(path.join(workspace, 'ingest', 'validate.py'), VALIDATE_PY);
  },
};
