import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  applyEnv,
  catalogOf,
  defaultRa,
  DEFAULT_LATENCY_BUCKETS_MS,
  DEFAULT_REDACT_KEYS,
  loadCatalog,
  parseFlows,
  parseRa,
  slaFor,
  validateAgainstRuns,
  validateAgainstTraces,
  type Problem,
} from '../../src/core/read/catalog';
import { TraceWorkspace } from '../../src/core/read/workspace';

/** Data-keyed records are null-prototype objects (issue 13): compare their JSON shape. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const DEMO = path.resolve('test/fixtures/demo-app');
const RA = path.join(DEMO, '.autodev', 'ra.yaml');
const FLOWS = path.join(DEMO, '.autodev', 'flows.yaml');

/** `line:col severity message-fragment` for compact comparisons. */
const brief = (ps: Problem[]): string[] => ps.map((p) => `${p.line}:${p.col} ${p.severity} ${p.message}`);

describe('catalog: the demo-app fixture', () => {
  const c = loadCatalog(DEMO);

  it('reads both files without problems', () => {
    assert.deepEqual(c.problems, []);
    assert.equal(c.ra.file, RA);
    assert.equal(c.flowsFile, FLOWS);
  });

  it('types ra.yaml values and keeps defaults where the file is silent', () => {
    const ra = c.ra;
    assert.equal(ra.enabled, true);
    assert.equal(ra.version, 1);
    assert.equal(ra.profile, 'critical');
    assert.equal(ra.askMd, 'on_failure');
    assert.equal(ra.traceTailEvents, 30);
    assert.equal(ra.payloadLimit, 512);
    assert.equal(ra.allowRawPayloads, false);
    assert.deepEqual(ra.redactKeys, ['api_key', 'token', 'password', 'secret', 'auth', 'cookie', 'account_number']);
    assert.deepEqual(ra.latencyBucketsMs, [50, 200, 1000]);
    assert.deepEqual(plain(ra.slaOverrides), { 'orders/submit': 1000, 'data/fetch/minute_candles': 800 });
    assert.deepEqual(ra.slaOverrideLocs['orders/submit'], { file: RA, line: 43, col: 5 });
    assert.deepEqual(ra.sinks, [{ type: 'console' }, { type: 'jsonl', path: '.autodev/trace.jsonl' }]);
    assert.equal(ra.rotateTrace, true);
    assert.equal(ra.maxTraceBytes, 10485760);
    assert.equal(ra.keepRuns, 20);
    assert.deepEqual(ra.filters.minSeverity, 'info');
    assert.deepEqual(Object.keys(ra.profiles), ['critical', 'all']);
    assert.deepEqual(ra.profiles.critical.excludeFlows, ['**/debug/**']);
    assert.equal(ra.profile, 'critical');
  });

  it('reads flows.yaml with defaults applied and each flow located at its id', () => {
    assert.deepEqual(
      c.flows.map((f) => [f.id, f.loc.line, f.loc.col, f.enabled]),
      [
        ['premarket/prepare', 8, 9, true],
        ['data/fetch/minute_candles', 19, 9, true],
        ['indicators/ema/compute', 34, 9, true],
        ['agent/decision/evaluate', 45, 9, true],
        ['orders/submit', 56, 9, true],
        ['reports/eod/publish', 69, 9, false],
      ],
    );
    const fetch = c.flowsById.get('data/fetch/minute_candles');
    assert.ok(fetch);
    assert.equal(fetch.parent, 'premarket/prepare');
    assert.deepEqual(fetch.criteria, ['rows >= 300', 'time_range covers [09:30,16:00]']);
    assert.deepEqual(fetch.failureClasses, ['DATA.EMPTY', 'DATA.INCOMPLETE', 'EXTERNAL.4xx', 'EXTERNAL.5xx']);
    assert.deepEqual(fetch.correlationKeys, ['ticker', 'date', 'source']); // its own, not the default
    assert.equal(fetch.slaP95Ms, 800);
    assert.deepEqual(fetch.codeRefs, ['trader/data/fetcher.py']);
    assert.deepEqual(fetch.codeRefLocs, [{ file: FLOWS, line: 32, col: 9 }]);
    assert.deepEqual(fetch.tags, ['phase5']); // from defaults
    assert.equal(fetch.onFailure, 'generate_prompt'); // from defaults
    assert.deepEqual(c.flowsById.get('premarket/prepare')?.correlationKeys, ['ticker', 'date']);
  });

  it('slaFor prefers the ra.yaml override, else flows.yaml sla.p95_ms', () => {
    assert.equal(slaFor(c, 'data/fetch/minute_candles'), 800);
    assert.equal(slaFor(c, 'orders/submit'), 1000);
    assert.equal(slaFor(c, 'premarket/prepare'), undefined);
    assert.equal(slaFor(c, 'not/declared'), undefined);
    const ra = defaultRa();
    ra.slaOverrides['orders/submit'] = 250;
    const flows = parseFlows('flows:\n  - id: orders/submit\n    sla: {p95_ms: 1000}\n  - id: x\n    sla: {p95_ms: 5}\n', 'f.yaml');
    const c2 = catalogOf('/r', ra, flows);
    assert.equal(slaFor(c2, 'orders/submit'), 250);
    assert.equal(slaFor(c2, 'x'), 5);
  });

  it('validates against traced flow names: unseen, undeclared and missing code_refs, located', () => {
    const seen = new Set(['premarket/prepare', 'data/fetch/minute_candles', 'indicators/ema/compute', 'agent/decision/evaluate', 'debug/probe']);
    const ps = validateAgainstTraces(c, seen, DEMO);
    assert.deepEqual(brief(ps), [
      '56:9 warning flow "orders/submit" is declared but never seen in the traces',
      '69:9 info flow "reports/eod/publish" is disabled and not seen in the traces',
      // trader/reports.py is the one code_ref absent from the fixture (find trader)
      '73:9 warning flow "reports/eod/publish": code_refs "trader/reports.py" does not exist in the workspace',
      '7:1 warning flow "debug/probe" appears in the traces but is not declared in flows.yaml',
    ]);
    assert.ok(ps.every((p) => p.file === FLOWS));
  });

  it('uses the injected exists() for code_refs', () => {
    const asked: string[] = [];
    const seen = new Set(c.flows.map((f) => f.id));
    const ps = validateAgainstTraces(c, seen, '/elsewhere', (p) => (asked.push(p), true));
    assert.deepEqual(ps, []);
    assert.equal(asked.length, 6);
    assert.equal(asked[0], path.resolve('/elsewhere', 'trader/premarket.py'));
  });
});

describe('catalog: missing and misplaced files', () => {
  const enoent = (): never => {
    throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  };

  it('gives defaults and no problems when neither file exists', () => {
    const c = loadCatalog('/no/such/root', { readFile: enoent });
    assert.deepEqual(c.problems, []);
    assert.deepEqual(c.flows, []);
    assert.equal(c.flowsLoc, undefined);
    assert.equal(c.ra.askMd, 'on_failure');
    assert.equal(c.ra.traceTailEvents, 50);
    assert.equal(c.ra.payloadLimit, 512);
    assert.equal(c.ra.allowRawPayloads, false);
    assert.equal(c.ra.enabled, true);
    assert.deepEqual(c.ra.redactKeys, ['api_key', 'token', 'password', 'secret', 'auth', 'cookie']);
    assert.deepEqual(c.ra.latencyBucketsMs, [...DEFAULT_LATENCY_BUCKETS_MS]);
    // undeclared traced flows are not reported without a flows.yaml
    assert.deepEqual(validateAgainstTraces(c, new Set(['a'])), []);
  });

  it('accepts the files at the root when .autodev has none', () => {
    const files: Record<string, string> = { [path.join('/r', 'flows.yaml')]: 'flows:\n  - id: a\n', [path.join('/r', 'ra.yaml')]: 'profile: x\nprofiles: {x: {}}\n' };
    const c = loadCatalog('/r', { readFile: (p) => files[p] ?? enoent() });
    assert.deepEqual(c.problems, []);
    assert.deepEqual(c.flows.map((f) => f.id), ['a']);
    assert.equal(c.ra.profile, 'x');
  });

  it('reports an unreadable file without throwing', () => {
    const c = loadCatalog('/r', {
      readFile: (p) => {
        if (p.endsWith(path.join('.autodev', 'ra.yaml'))) throw Object.assign(new Error('EACCES: denied'), { code: 'EACCES' });
        return enoent();
      },
    });
    assert.equal(c.problems.length, 1);
    assert.equal(c.problems[0].severity, 'error');
    assert.match(c.problems[0].message, /cannot read ra\.yaml/);
  });

  it('treats an empty file as defaults', () => {
    assert.deepEqual(parseRa('', 'ra.yaml').problems, []);
    assert.deepEqual(parseFlows('', 'f.yaml').problems, []);
    assert.deepEqual(parseFlows('# nothing\n', 'f.yaml').flows, []);
  });
});

describe('catalog: ra.yaml validation', () => {
  it('locates YAML syntax errors and never throws', () => {
    const { problems, config } = parseRa('enabled: true\nprivacy: [1,\n', 'ra.yaml');
    assert.ok(problems.some((p) => p.severity === 'error' && p.message.startsWith('YAML:') && p.line !== undefined && p.col !== undefined));
    assert.equal(config.enabled, true);
    for (const text of [':', '- - -\n  ]]', '{', 'a: *nope', '\t\tx: 1', '"unterminated']) {
      assert.doesNotThrow(() => parseRa(text, 'ra.yaml'));
    }
  });

  it('never throws and always locates problems, whatever the text (property)', () => {
    const yamlish = fc.array(fc.constantFrom('enabled', 'flows', 'profiles', 'id', ':', ' ', '  ', '-', '\n', '[', ']', '{', '}', '"', "'", '&a', '*a', '!!int', '#', 'true', '12', 'x', '\t', '|'), { maxLength: 60 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), yamlish), (text) => {
        const all = [...parseRa(text, 'ra.yaml').problems, ...parseFlows(text, 'f.yaml').problems];
        return all.every((p) => Number.isInteger(p.line) && (p.line as number) >= 1 && Number.isInteger(p.col) && (p.col as number) >= 1);
      }),
      { numRuns: 300 },
    );
  });

  it('locates a duplicate key', () => {
    const ps = parseRa('enabled: true\nenabled: false\n', 'ra.yaml').problems;
    assert.equal(ps.length, 1);
    assert.equal(ps[0].severity, 'error');
    assert.equal(ps[0].line, 2);
  });

  it('warns on unknown keys, naming them, at the key', () => {
    const ps = parseRa('enabeld: true\nartifacts:\n  ask_md: never\n  zzz: 1\n', 'ra.yaml').problems;
    assert.deepEqual(brief(ps), ['1:1 warning ra.yaml: unknown key "enabeld"', '4:3 warning artifacts: unknown key "zzz"']);
  });

  it('reports wrong types as errors at the value and keeps the default', () => {
    const text = [
      'enabled: yes', // 1 (YAML 1.2: a string)
      'artifacts:',
      '  ask_md: maybe', // 3
      '  trace_tail_events: -1', // 4
      'privacy:',
      '  redact_keys: 5', // 6
      '  payload_limit: "big"', // 7
      'performance:',
      '  latency_buckets_ms: [100, 50]', // 9
      '  sla_overrides:',
      '    a/b: {p95_ms: fast}', // 11
      'retention: 3', // 12
      'profiles:',
      '  p: {min_severity: loud, include_flows: [1]}', // 14
      '',
    ].join('\n');
    const { config, problems } = parseRa(text, 'ra.yaml');
    assert.ok(problems.every((p) => p.severity === 'error'));
    assert.deepEqual(
      problems.map((p) => [p.line, p.col]),
      [
        [1, 10],
        [3, 11],
        [4, 22],
        [6, 16],
        [7, 18],
        [9, 29],
        [11, 19],
        [12, 12],
        [14, 21],
        [14, 43],
      ],
    );
    assert.match(problems[0].message, /enabled must be true or false/);
    assert.equal(config.enabled, true);
    assert.equal(config.askMd, 'on_failure');
    assert.equal(config.traceTailEvents, 50);
    assert.deepEqual(config.redactKeys, [...DEFAULT_REDACT_KEYS]);
    assert.equal(config.payloadLimit, 512);
    assert.deepEqual(config.latencyBucketsMs, [...DEFAULT_LATENCY_BUCKETS_MS]);
    assert.deepEqual(plain(config.slaOverrides), {});
  });

  it('warns about a newer config version but still reads it', () => {
    const ra = parseRa('version: 2\nenabled: false\n', 'ra.yaml');
    assert.deepEqual(brief(ra.problems), ['1:10 warning ra.yaml version 2 is newer than this reader (1); known keys are read, others reported']);
    assert.equal(ra.config.enabled, false);
    assert.equal(parseFlows('version: 3\nflows: []\n', 'f.yaml').problems[0].line, 1);
  });

  it('warns when the profile is not defined', () => {
    const ps = parseRa('profile: nope\nprofiles:\n  a: {}\n', 'ra.yaml').problems;
    assert.deepEqual(brief(ps), ['1:10 warning profile "nope" is not defined under profiles']);
  });
});

describe('catalog: flows.yaml validation', () => {
  it('requires unique ids, a known parent and DOMAIN.DETAIL classes, located', () => {
    const text = [
      'version: 1',
      'flows:',
      '  - id: a', // 3
      '    parent: b', // 4
      '  - id: a', // 5
      '  - description: no id', // 6
      '  - id: c', // 7
      '    failure_classes: [FOO.BAR, nodot, DATA.OK]', // 8
      '    colour: red', // 9
      '  - id: d',
      '    parent: d', // 11
      '',
    ].join('\n');
    const r = parseFlows(text, 'f.yaml');
    assert.deepEqual(brief(r.problems), [
      '4:13 error flow "a": parent "b" is not a flow in this catalog',
      '5:9 error duplicate flow id "a" (first declared at line 3)',
      '6:5 error flows[2] has no id',
      '8:23 warning flow "c": failure_classes: "FOO.BAR" has an unknown domain (expected SYSTEM, DATA, CONTRACT, EXTERNAL, BUSINESS)',
      '8:32 warning flow "c": failure_classes: "nodot" is not DOMAIN.DETAIL',
      '9:5 warning flows[3]: unknown key "colour"',
      '11:13 error flow "d": parent is the flow itself',
    ]);
    assert.deepEqual(r.flows.map((f) => f.id), ['a', 'c', 'd']);
  });

  it('reports bad types as errors and keeps going', () => {
    const r = parseFlows('flows:\n  - id: a\n    enabled: "no"\n    sla: {p95_ms: -3}\n    code_refs: {x: 1}\n  - 42\n  - id: [x]\n', 'f.yaml');
    assert.deepEqual(
      r.problems.map((p) => [p.line, p.severity]),
      [
        [3, 'error'],
        [4, 'error'],
        [5, 'error'],
        [6, 'error'],
        [7, 'error'],
      ],
    );
    assert.equal(r.flows.length, 1);
    assert.equal(r.flows[0].enabled, true);
    assert.equal(r.flows[0].slaP95Ms, undefined);
    assert.deepEqual(r.flows[0].codeRefs, []);
  });

  it('reports flows that is not a list', () => {
    const r = parseFlows('flows: {a: 1}\n', 'f.yaml');
    assert.deepEqual(brief(r.problems), ['1:8 error flows must be a list']);
  });

  it('applies defaults unless the flow gives its own value', () => {
    const r = parseFlows('defaults:\n  enabled: false\n  tags: [t]\n  sla: {p95_ms: 9}\nflows:\n  - id: a\n  - id: b\n    enabled: true\n    tags: []\n    sla: {p95_ms: 3}\n', 'f.yaml');
    assert.deepEqual(r.problems, []);
    const [a, b] = r.flows;
    assert.deepEqual([a.enabled, a.tags, a.slaP95Ms], [false, ['t'], 9]);
    assert.deepEqual([b.enabled, b.tags, b.slaP95Ms], [true, [], 3]);
  });
});

describe('catalog: RA_* environment overrides', () => {
  it('overrides the file values', () => {
    const { config } = parseRa('profiles: {a: {}, b: {}}\nprofile: a\n', 'ra.yaml');
    const ps = applyEnv(config, {
      RA_ENABLED: '0',
      RA_PROFILE: 'b',
      RA_ASK_MD: 'always',
      RA_PAYLOAD_LIMIT: '64',
      RA_TRACE_TAIL_EVENTS: '7',
      RA_REDACT_KEYS: 'x, y',
      RA_ALLOW_RAW_PAYLOADS: 'true',
      RA_MIN_SEVERITY: 'warn',
    });
    assert.deepEqual(ps, []);
    assert.equal(config.enabled, false);
    assert.equal(config.profile, 'b');
    assert.equal(config.askMd, 'always');
    assert.equal(config.payloadLimit, 64);
    assert.equal(config.traceTailEvents, 7);
    assert.deepEqual(config.redactKeys, ['x', 'y']);
    assert.equal(config.allowRawPayloads, true);
    assert.equal(config.filters.minSeverity, 'warning');
  });

  it('ignores and reports bad values; ignores unrelated and empty variables', () => {
    const config = defaultRa();
    const ps = applyEnv(config, { RA_ENABLED: 'maybe', RA_ASK_MD: 'sometimes', RA_PAYLOAD_LIMIT: '-1', RA_PROFILE: 'ghost', RA_TRACE_TAIL_EVENTS: '', PATH: '/bin' });
    assert.deepEqual(
      ps.map((p) => p.file),
      ['env:RA_ENABLED', 'env:RA_PAYLOAD_LIMIT', 'env:RA_PROFILE', 'env:RA_ASK_MD'],
    );
    assert.ok(ps.every((p) => p.severity === 'warning'));
    assert.equal(config.enabled, true);
    assert.equal(config.askMd, 'on_failure');
    assert.equal(config.payloadLimit, 512);
    assert.equal(config.traceTailEvents, 50);
  });

  it('is applied by loadCatalog when env is passed', () => {
    const c = loadCatalog(DEMO, { env: { RA_PROFILE: 'all', RA_TRACE_TAIL_EVENTS: '5' } });
    assert.equal(c.ra.profile, 'all');
    assert.equal(c.ra.traceTailEvents, 5);
  });
});

describe('catalog: profiles and filters', () => {
  // Profiles configure the producer (what flowscribe writes); Flowlens reads and validates them
  // but never filters traces by them (the matchers were deleted, docs/decisions.md issue 14).
  it('reads include/exclude globs, tags and minimum severity per profile', () => {
    const crit = loadCatalog(DEMO).ra.profiles.critical;
    assert.deepEqual(crit.excludeFlows, ['**/debug/**']);
    assert.equal(crit.name, 'critical');
  });
});

describe('catalog: end to end against the demo-app runs (TraceWorkspace)', () => {
  it('only the disabled, untraced reports/eod/publish and its missing code_ref are reported', async () => {
    const ws = new TraceWorkspace(DEMO, { now: () => Date.parse('2030-01-01T00:00:00Z'), final: true });
    await ws.load({ final: true });
    assert.ok(ws.catalog);
    assert.deepEqual(brief(validateAgainstRuns(ws.catalog, ws.runs(), DEMO)), [
      '69:9 info flow "reports/eod/publish" is disabled and not seen in the traces',
      '73:9 warning flow "reports/eod/publish": code_refs "trader/reports.py" does not exist in the workspace',
    ]);
  });
});
