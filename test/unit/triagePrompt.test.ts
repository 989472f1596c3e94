// The triage prompt file contributed to chat (issue 17 item 4): prompts/flowlens-triage.prompt.md,
// `contributes.chatPromptFiles` in package.json, shipped by .vscodeignore. It may only name tools
// that exist: the `#…` references are the contributed LM tools' toolReferenceNames, and the MCP
// tool names are those `flowlens mcp` serves.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TOOLS as MCP_TOOLS } from '../../src/cli/mcp/tools';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: {
    chatPromptFiles?: { path: string }[];
    languageModelTools: { name: string; toolReferenceName?: string; inputSchema: { properties?: Record<string, unknown> } }[];
  };
};

describe('triage prompt file (contributes.chatPromptFiles)', () => {
  const entries = pkg.contributes.chatPromptFiles ?? [];
  const file = entries[0] ? path.join(ROOT, entries[0].path) : '';
  const text = file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';

  it('is contributed, exists and ships in the .vsix', () => {
    assert.equal(entries.length, 1);
    assert.match(entries[0].path, /^\.\/prompts\/[\w-]+\.prompt\.md$/);
    assert.ok(text, `${entries[0].path} exists`);
    const ignore = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(ignore.includes('!prompts/*.prompt.md'), '.vscodeignore re-includes prompts/*.prompt.md');
  });

  it('runs in agent mode and says what it is for', () => {
    const front = /^---\n([\s\S]*?)\n---\n/.exec(text)?.[1] ?? '';
    assert.match(front, /^mode: agent$/m);
    assert.match(front, /^description: .{40,}$/m);
  });

  it('names only tools that exist: every contributed LM tool by #reference, in order, with real input names', () => {
    const byRef = new Map(pkg.contributes.languageModelTools.map((t) => [t.toolReferenceName, t] as const));
    const refs = [...text.matchAll(/#(flowlens\w+)/g)].map((m) => m[1]);
    for (const r of refs) assert.ok(byRef.has(r), `#${r} is not a contributed toolReferenceName`);
    // The steps: summary → failures → one flow's events → rollups.
    const first = (r: string) => refs.indexOf(r);
    assert.deepEqual(['flowlensRunSummary', 'flowlensFailures', 'flowlensFlowEvents', 'flowlensRollups'].map(first).every((i, k, a) => i >= 0 && (k === 0 || i > a[k - 1])), true, refs.join(' '));
    for (const input of ['runId', 'flow']) {
      assert.ok(pkg.contributes.languageModelTools.some((t) => input in (t.inputSchema.properties ?? {})), `${input} is a tool input`);
      assert.ok(text.includes(`\`${input}\``), `the prompt names the input ${input}`);
    }
  });

  it('names only MCP tools `flowlens mcp` serves', () => {
    const mcp = text.slice(text.indexOf('## Outside VS Code'));
    const named = [...mcp.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((n) => n.includes('_') || ['failures', 'rollups', 'ask', 'search'].includes(n));
    const served = new Set(MCP_TOOLS.map((t) => t.name));
    assert.ok(named.length >= 6, named.join(' '));
    for (const n of named.filter((x) => !['flow_id', 'trace_at'].includes(x))) assert.ok(served.has(n), `${n} is not an MCP tool`);
  });

  it('asks for handles on every claim and treats trace text as data', () => {
    for (const h of ['run id', 'flow id', 'file:line', 'untrusted data', '[REDACTED]']) assert.ok(text.includes(h), h);
  });
});
