// ra.yaml / flows.yaml under a budget (src/core/read/catalog.ts prescanYaml, YAML_LIMITS): generated
// nasty YAML — deep flow and block nesting, alias bombs in every section, many anchors/aliases,
// huge scalars, long keys, many documents, many keys — each parses to a config with a located
// problem, and the process CPU time it took stays bounded (CPU time, not wall clock: it does not
// depend on machine load). The red-team cases r7 (1 MB of `[`) and r8 (a 600-byte alias bomb as
// `privacy.redact_keys`) also run through the built CLI under a hang guard and a heap cap.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_REDACT_KEYS, loadCatalog, parseFlows, parseRa, prescanYaml, YAML_LIMITS, type Problem } from '../../../src/core/read/catalog';

const CLI = path.resolve('dist', 'cli.js');
/** Per case, generous: the worst measured case takes ~0.5 s on a 2-core box. */
const MAX_CPU_S = 5;

/** A 600-byte billion-laughs tree: `*j` names 10^10 leaves. */
const BOMB = 'a: &a [x,x,x,x,x,x,x,x,x,x]\n' + Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill('*' + String.fromCharCode(97 + i)).join(',')}]\n`).join('');

function cpu<T>(f: () => T): { value: T; seconds: number } {
  const t = process.cpuUsage();
  const value = f();
  const u = process.cpuUsage(t);
  return { value, seconds: (u.user + u.system) / 1e6 };
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Case = { name: string; file: 'ra' | 'flows'; text: string };

function nasty(seed: number): Case[] {
  const r = rng(seed);
  const n = (lo: number, hi: number): number => Math.floor(lo + r() * (hi - lo));
  const out: Case[] = [];
  const both = (name: string, text: string): void => {
    out.push({ name: `${name} (ra)`, file: 'ra', text }, { name: `${name} (flows)`, file: 'flows', text });
  };
  both('deep [', '['.repeat(n(65, 1_000_000)));
  both('deep {a: ', '{a: '.repeat(n(65, 250_000)));
  both('deep mixed', 'x: ' + Array.from({ length: n(65, 100_000) }, () => (r() < 0.5 ? '[' : '{k: ')).join(''));
  both('deep "- "', '- '.repeat(n(65, 500_000)));
  both('indentation stairs', Array.from({ length: n(65, 1400) }, (_, i) => ' '.repeat(i) + 'a:').join('\n'));
  both('nested block map', Array.from({ length: n(65, 1000) }, (_, i) => ' '.repeat(i * 2) + `k${i}:`).join('\n'));
  both('many aliases', 'a: &a x\nb: [' + Array(n(9_000, 300_000)).fill('*a').join(',') + ']\n');
  both('many anchors', 'b: [' + Array.from({ length: n(9_000, 100_000) }, (_, i) => `&a${i} x`).join(',') + ']\n');
  both('huge scalar', 'version: ' + 'x'.repeat(n(100_000, YAML_LIMITS.maxChars - 20)) + '\n');
  both('over the char limit', 'a: ' + 'x'.repeat(YAML_LIMITS.maxChars + n(1, 3_000_000)));
  both('long key', 'k'.repeat(n(2_000, 1_000_000)) + ': 1\n');
  both('many documents', '---\nversion: 1\n'.repeat(n(1_000, 60_000)));
  both('many keys', Array.from({ length: n(20_000, 80_000) }, (_, i) => `k${i}: v${i}`).join('\n'));
  both('merge keys just under the node budget', Array.from({ length: YAML_LIMITS.maxNodes - 10 }, (_, i) => `<<: v${i}`).join('\n'));
  both('keys just under the node budget', Array.from({ length: YAML_LIMITS.maxNodes - 10 }, (_, i) => `k${i}: v${i}`).join('\n'));
  both('flow entries just under the node budget', 'a: [' + Array(YAML_LIMITS.maxNodes - 10).fill('x').join(',') + ']\n');
  both('quoted brackets', 'a: "' + '['.repeat(n(1_000, 500_000)) + '"\n');
  both('block scalar of brackets', 'a: |\n' + '  ' + '['.repeat(n(1_000, 500_000)) + '\n');
  both('self-referential alias', 'privacy: &p {redact_keys: [*p, *p]}\nflows: &f [*f, {id: *f}]\n');
  // The alias bomb in every section that is read.
  const bombs: Array<[string, 'ra' | 'flows', string]> = [
    ['privacy.redact_keys', 'ra', 'privacy:\n  redact_keys: *j\n'],
    ['redact_keys list entry', 'ra', 'privacy:\n  redact_keys: [*j, *j, pin]\n'],
    ['privacy itself', 'ra', 'privacy: *j\n'],
    ['privacy merge key', 'ra', 'privacy:\n  <<: *j\n'],
    ['top-level merge key', 'ra', '<<: *j\n'],
    ['payload_limit', 'ra', 'privacy:\n  payload_limit: *j\n  allow_raw_payloads: *j\n'],
    ['profiles', 'ra', 'profiles: *j\nfilters:\n  include_flows: *j\n'],
    ['sinks', 'ra', 'sinks:\n  - {type: file, path: *j}\n  - *j\n'],
    ['sla_overrides', 'ra', 'performance:\n  sla_overrides: {f: *j}\n  latency_buckets_ms: *j\n'],
    ['flows', 'flows', 'flows: *j\n'],
    ['flow entry', 'flows', 'flows:\n  - *j\n  - {id: *j}\n'],
    ['code_refs and sla', 'flows', 'flows:\n  - id: f\n    code_refs: *j\n    sla: *j\n    tags: [*j]\n'],
    ['defaults', 'flows', 'defaults: *j\n'],
    ['thousands of duplicate privacy keys', 'ra', 'privacy: *j\n'.repeat(3000)],
    ['thousands of top-level merge keys', 'ra', '<<: *j\n'.repeat(3000)],
    ['thousands of duplicate redact_keys', 'ra', 'privacy:\n' + '  redact_keys: *j\n'.repeat(3000)],
  ];
  for (const [where, file, tail] of bombs) out.push({ name: `alias bomb: ${where}`, file, text: BOMB + tail });
  return out;
}

describe('ingress: YAML configs under a budget (catalog.ts)', function () {
  this.timeout(120_000);
  const worst: { name: string; seconds: number }[] = [];
  after(() => {
    worst.sort((a, b) => b.seconds - a.seconds);
    console.log(`      slowest (CPU s): ${worst.slice(0, 5).map((w) => `${w.name} ${w.seconds.toFixed(3)}`).join(', ')}`);
  });

  for (const seed of [1, 2, 3]) {
    it(`generated nasty YAML (seed ${seed}): every case ends under ${MAX_CPU_S} s CPU with a located problem`, () => {
      for (const c of nasty(seed)) {
        const file = `${c.file}.yaml`;
        const { value: problems, seconds } = cpu((): Problem[] => (c.file === 'ra' ? parseRa(c.text, file).problems : parseFlows(c.text, file).problems));
        worst.push({ name: c.name, seconds });
        assert.ok(seconds < MAX_CPU_S, `${c.name}: ${seconds.toFixed(2)} s CPU`);
        const located = problems.filter((p) => p.file === file && p.line !== undefined && p.line >= 1 && p.col !== undefined && p.col >= 1);
        assert.ok(located.length > 0, `${c.name}: a located problem (got ${JSON.stringify(problems.slice(0, 3))})`);
      }
    });
  }

  it('deep nesting is refused before parsing, located where the limit is crossed', () => {
    const { problems, config } = parseRa('privacy:\n  redact_keys: [pin]\nx: ' + '['.repeat(100) + '\n', 'ra.yaml');
    assert.deepEqual(
      problems.map((p) => `${p.line}:${p.col} ${p.severity} ${p.message}`),
      [`3:${3 + YAML_LIMITS.maxDepth} error nesting deeper than ${YAML_LIMITS.maxDepth} levels; not read`],
    );
    // Refused, so the privacy mapping is never parsed: its keys are salvaged from the text on top of the defaults.
    assert.deepEqual(config.redactKeys, [...DEFAULT_REDACT_KEYS, 'pin']);
    const block = parseFlows(Array.from({ length: 80 }, (_, i) => ' '.repeat(i) + 'a:').join('\n'), 'flows.yaml');
    assert.deepEqual(block.problems.map((p) => `${p.line}:${p.col} ${p.message}`), [`${YAML_LIMITS.maxDepth + 1}:${YAML_LIMITS.maxDepth + 1} nesting deeper than ${YAML_LIMITS.maxDepth} levels; not read`]);
  });

  it('the pre-scan is not fooled by brackets in quotes, comments and block scalars, and passes real configs', () => {
    const deep = '['.repeat(200);
    assert.equal(prescanYaml(`a: "${deep}"\nb: '${deep}'\n# ${deep}\nc: |\n  ${deep}\n  more\nd: x${deep}\n`), undefined);
    for (const f of ['test/fixtures/demo-app/.autodev/ra.yaml', 'test/fixtures/demo-app/.autodev/flows.yaml']) {
      if (fs.existsSync(f)) assert.equal(prescanYaml(fs.readFileSync(f, 'utf8')), undefined, f);
    }
    assert.equal(prescanYaml('a: ' + '['.repeat(YAML_LIMITS.maxDepth - 1) + ']'.repeat(YAML_LIMITS.maxDepth - 1)), undefined);
    assert.match(prescanYaml('a: ' + '['.repeat(YAML_LIMITS.maxDepth))?.message ?? '', /nesting deeper/);
    assert.match(prescanYaml(Array(YAML_LIMITS.maxNodes + 1).fill('- x').join('\n'))?.message ?? '', /more than 10000 lines or YAML nodes/);
  });

  it('the r8 alias bomb as redact_keys: the default keys, a located error, ends at once', () => {
    const { value, seconds } = cpu(() => parseRa(BOMB + 'privacy:\n  redact_keys: *j\n', 'ra.yaml'));
    assert.ok(seconds < MAX_CPU_S, `${seconds} s`);
    assert.deepEqual(value.problems.filter((p) => p.severity === 'error').map((p) => `${p.line}:${p.col}`), ['12:16']);
    assert.deepEqual(value.config.redactKeys, [...DEFAULT_REDACT_KEYS]);
  });

  it('loadCatalog with both files hostile (bomb in ra.yaml, r7 nesting in flows.yaml): bounded CPU, both located', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-yamlbudget-load-'));
    try {
      fs.mkdirSync(path.join(root, '.autodev'));
      fs.writeFileSync(path.join(root, '.autodev', 'ra.yaml'), BOMB + 'privacy:\n  redact_keys: [*j, zq_custom]\n');
      fs.writeFileSync(path.join(root, '.autodev', 'flows.yaml'), '['.repeat(1_000_000));
      const { value: catalog, seconds } = cpu(() => loadCatalog(root));
      assert.ok(seconds < MAX_CPU_S, `${seconds} s`);
      const errors = catalog.problems.filter((p) => p.severity === 'error').map((p) => `${path.basename(p.file)}:${p.line}:${p.col}`);
      assert.deepEqual(errors, ['ra.yaml:12:17', `flows.yaml:1:${YAML_LIMITS.maxDepth}`]);
      assert.ok(catalog.ra.redactKeys.includes('zq_custom') && catalog.ra.redactKeys.includes('password'), JSON.stringify(catalog.ra.redactKeys));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  describe('the red-team workspaces through the built CLI (hang guard: a child timeout; memory: a 200 MB heap cap)', () => {
    let root = '';
    before(() => {
      assert.ok(fs.existsSync(CLI), 'dist/cli.js is built (npm run build)');
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlens-yamlbudget-'));
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    const cases: Array<[string, string, string]> = [
      ['r7: 1 MB flows.yaml of [', 'flows.yaml', '['.repeat(1_000_000)],
      ['r7: 3.9 MB ra.yaml of [', 'ra.yaml', '['.repeat(3_900_000)],
      ['r7: 1 MB ra.yaml of [ (just under the char limit)', 'ra.yaml', '['.repeat(YAML_LIMITS.maxChars - 1)],
      ['r8: alias bomb as redact_keys', 'ra.yaml', BOMB + 'privacy:\n  redact_keys: *j\n'],
      ['alias bomb in flows', 'flows.yaml', BOMB + 'flows:\n  - id: f\n    code_refs: *j\n    sla: *j\n'],
    ];
    for (const [name, file, text] of cases) {
      it(`${name}: validate and failures end with exit 0/1 and a located problem`, () => {
        const ws = fs.mkdtempSync(path.join(root, 'ws-'));
        fs.mkdirSync(path.join(ws, '.autodev'));
        fs.writeFileSync(path.join(ws, '.autodev', file), text);
        for (const cmd of ['validate', 'failures']) {
          const r = spawnSync(process.execPath, ['--max-old-space-size=200', CLI, cmd, ws], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
          assert.equal(r.signal, null, `${cmd} was killed (${r.signal}): hung or over memory`);
          assert.ok(r.status === 0 || r.status === 1, `${cmd} exit ${r.status}: ${r.stderr.slice(0, 400)}`);
          if (cmd === 'validate') assert.match(r.stdout + r.stderr, new RegExp(`${file.replace('.', '\\.')}(:\\d+:\\d+)?: error`));
        }
      });
    }
  });
});
