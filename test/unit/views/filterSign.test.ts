// Issue 16: the Runs view says when a filter is on (its description, with Clear Filter in the
// toolbar), and the filter commands stay out of the command palette while there are no traces.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { filterDescription } from '../../../src/host/format';

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));

describe('Runs view filter sign (issue 16)', () => {
  it('describes the active filter, or nothing', () => {
    assert.equal(filterDescription({ text: '', statuses: [], tag: '' }, false), undefined);
    assert.equal(filterDescription({ text: 'fetch', statuses: [], tag: '' }, false), 'filtered: "fetch"');
    assert.equal(filterDescription({ text: 'fetch', statuses: ['failed', 'exception'], tag: 'NVDA' }, false), 'filtered: "fetch" · failed, exception · tag:NVDA');
    assert.equal(filterDescription({ text: '', statuses: [], tag: '' }, true), 'failures only');
    assert.equal(filterDescription({ text: 'a\nb', statuses: [], tag: '' }, true), 'filtered: "a b" · failures only');
  });

  it('offers Clear Filter in the toolbar whenever flows are hidden', () => {
    const clear = pkg.contributes.menus['view/title'].find((m: { command: string }) => m.command === 'flowlens.clearFilter');
    assert.match(clear.when, /flowlens\.filterActive \|\| flowlens\.failuresOnly/);
  });

  it('hides the filter commands from the palette while there are no traces', () => {
    const palette = new Map<string, string>(pkg.contributes.menus.commandPalette.map((m: { command: string; when: string }) => [m.command, m.when]));
    for (const c of ['flowlens.filterRuns', 'flowlens.showFailuresOnly', 'flowlens.showAllFlows', 'flowlens.followLatestRun', 'flowlens.groupFailuresByClass', 'flowlens.groupFailuresByFlow'])
      assert.match(palette.get(c) ?? '', /flowlens\.hasTraces/, `${c} in the palette without traces`);
    assert.match(palette.get('flowlens.clearFilter') ?? '', /flowlens\.filterActive/);
  });
});
