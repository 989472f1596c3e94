// extensionTestsPath of the restricted-mode suite (test/integration/restricted/suite.js): the same
// mocha runner as the main suite, over the *.test.js files of this folder only. The main suite
// skips this folder because it has its own index.js.
export { run } from '../index';
