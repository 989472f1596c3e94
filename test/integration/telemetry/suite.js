// The queue-only suite (issue 16, "Grain/Assay queues are invisible in the editor"), run by
// `FLOWLENS_TESTS_DIR=telemetry node test/e2e/run-ext-tests.js`: the scratch workspace is emptied
// and holds only test/fixtures/queue-only (a Grain and an Assay telemetry queue, no flow trace).
'use strict';
const fs = require('fs');
const path = require('path');

const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'queue-only');

module.exports = {
  name: 'integration-telemetry',
  prepare(workspace) {
    for (const name of fs.readdirSync(workspace)) fs.rmSync(path.join(workspace, name), { recursive: true, force: true });
    for (const dir of ['.grain', '.assay']) fs.cpSync(path.join(FIXTURE, dir), path.join(workspace, dir), { recursive: true });
  },
};
