// extensionTestsPath of the OTLP suite (test/integration/otlp/suite.js: a workspace of OTLP files only): the same
// mocha runner as the main suite, over the *.test.js files of this folder only.
export { run } from '../index';
