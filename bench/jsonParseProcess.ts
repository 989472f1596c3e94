/**
 * The baseline of the CLI row (bench/cli.ts): a whole `node` process that does only the
 * JSON.parse-only pass over a file (bench/baseline.ts jsonParsePass) and exits.
 *   node dist/bench/jsonParseProcess.js FILE   → prints the lines parsed
 */
import { jsonParsePass } from './baseline';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: jsonParseProcess FILE\n');
  process.exitCode = 2;
} else process.stdout.write(`${jsonParsePass(file).lines}\n`);
