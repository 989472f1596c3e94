// Issue 16 "First hour": a new user learns from the README how to install the extension in their
// own VS Code and how to use it on their project, and the guide to producing traces is reachable
// from the README, the Runs view's welcome text and the walkthrough (and ships in the .vsix).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { COMMANDS } from '../../src/host/commands';

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const readme = fs.readFileSync('README.md', 'utf8');

describe('first hour (issue 16)', () => {
  it('README: install in your own VS Code and use it on your project, before the demo', () => {
    const install = readme.indexOf('## Install in your own VS Code');
    const use = readme.indexOf('## Use it on your project');
    const demo = readme.indexOf('## Quick start');
    assert.ok(install > 0 && use > install && demo > use, 'both sections come before the code-server quick start');
    const section = readme.slice(install, demo);
    assert.match(section, /npm run package/);
    assert.match(section, /code --install-extension dist\/flowlens-\*\.vsix/);
    assert.match(section, /Install from VSIX…/);
    assert.match(section, /\(docs\/producing-traces\.md\)/);
  });

  it('the welcome view and the walkthrough link the guide, and the guide ships', () => {
    const link = `(command:${COMMANDS.openProducingTraces})`;
    const noTraces = pkg.contributes.viewsWelcome.filter((w: { view: string; when: string }) => w.view === 'flowlens.runs' && w.when.includes('!flowlens.hasTraces'));
    assert.ok(noTraces.length > 0);
    assert.ok(noTraces.some((w: { contents: string }) => w.contents.includes(link)), 'the no-traces welcome links the guide');
    const steps = pkg.contributes.walkthroughs[0].steps as { id: string; description: string }[];
    assert.ok(steps.find((s) => s.id === 'findTraces')?.description.includes(link), 'the first walkthrough step links the guide');
    assert.ok(fs.readFileSync('.vscodeignore', 'utf8').split('\n').includes('!docs/producing-traces.md'), '.vscodeignore ships the guide');
    assert.ok(fs.existsSync('docs/producing-traces.md'));
  });
});
