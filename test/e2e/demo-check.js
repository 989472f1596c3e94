// `scripts/demo.sh --check`: serves the demo exactly as `npm run demo` does (fresh profile with
// the .vsix installed, the demo workspace), opens it once in headless chromium, waits for the
// Flowlens container, saves test-results/screenshots/demo.png, and exits 0 when all that worked.
//   node test/e2e/demo-check.js FOLDER VSIX [PORT]
// @ts-check
'use strict';
const path = require('path');
const cs = require('./codeserver');
const { launch, openWorkbench, waitForWorkbench } = require('./workbench');
const { PKG, openContainer, screenshot, settle, unhover } = require('./lib');

(async () => {
  const [folder, vsix, port] = process.argv.slice(2);
  const t0 = Date.now();
  const srv = await cs.start({ name: 'demo-check', port: +port || undefined, vsix, folder: path.resolve(folder) });
  const health = await (await fetch(`${srv.url}/healthz`)).json();
  console.log(`code-server up at ${srv.url} (healthz: ${JSON.stringify(health)}); installed: ${srv.extensions.join(', ')}`);
  if (!srv.extensions.some(e => e.startsWith(`${PKG.publisher}.${PKG.name}@`))) throw new Error('the .vsix did not install');
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await openWorkbench(page, { port: srv.port, folder: path.resolve(folder) });
    await waitForWorkbench(page);
    const container = (PKG.contributes?.viewsContainers?.activitybar || []).find(c => /^Flowlens/.test(c.title));
    if (container) {
      await openContainer(page, container.title);
      // The demo works when its trees show the demo's runs (not a welcome or "Reading traces…").
      await page.locator('.sidebar .monaco-list-row').first().waitFor({ timeout: 90000 })
        .catch(async e => { await screenshot(page, 'demo-fail'); throw new Error('the Flowlens views show no rows: ' + e.message); });
      await settle(page);
    }
    await unhover(page, 900, 600);         // let the activity-bar hover fade
    const file = await screenshot(page, 'demo');
    console.log(`screenshot: ${path.relative(process.cwd(), file)}`);
  } finally {
    await browser.close().catch(() => {});
    await srv.stop();
  }
  console.log(`demo: 1 passed, 0 failed (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
})().catch(e => { console.error('demo check failed:', e.message); console.log('demo: 0 passed, 1 failed'); process.exit(1); });
