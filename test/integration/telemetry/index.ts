// extensionTestsPath of the telemetry suite (test/integration/telemetry/suite.js: a queue-only workspace): the same
// mocha runner as the main suite, over the *.test.js files of this folder only.
export { run } from '../index';
