// Chromium + code-server workbench helpers (plain Node, no build step).
//
// Why an init script: code-server rejects --extensionDevelopmentPath / --extensionTestsPath.
// The workbench reads its configuration from
// <meta id="vscode-workbench-web-configuration" data-settings>, so we rewrite that attribute as
// the page reads it and add developmentOptions.extensions / .extensionTestsPath (works on
// code-server 4.100 and 4.139; the ?payload= URL trick only works on 4.100).
// @ts-check
'use strict';
const { chromium } = require('playwright-core');

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Launches Debian's chromium headless (CHROMIUM overrides the path). */
function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/**
 * Opens the workbench on `folder`. `devExt` loads an extension from source (absolute path on the
 * code-server machine); `testsPath` makes VS Code run that module's `run()` in the extension host.
 * @param {import('playwright-core').Page} page
 * @param {{port: number, folder: string, devExt?: string, testsPath?: string}} where
 */
async function openWorkbench(page, { port, folder, devExt, testsPath }) {
  if (devExt || testsPath) {
    await page.addInitScript(({ devExt, testsPath }) => {
      const orig = Element.prototype.getAttribute;
      /** @this {Element} @param {string} name */
      Element.prototype.getAttribute = function (name) {
        const v = orig.call(this, name);
        if (name !== 'data-settings' || this.id !== 'vscode-workbench-web-configuration' || !v) return v;
        const cfg = JSON.parse(v);
        /** @param {string} path */
        const uri = path => ({ scheme: 'vscode-remote', authority: location.host, path });
        cfg.developmentOptions = { ...(cfg.developmentOptions || {}) };
        if (devExt) cfg.developmentOptions.extensions = [uri(devExt)];
        if (testsPath) cfg.developmentOptions.extensionTestsPath = uri(testsPath);
        return JSON.stringify(cfg);
      };
    }, { devExt, testsPath });
  }
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
}

/**
 * Resolves when the workbench shell (activity bar + status bar) is on screen.
 * @param {import('playwright-core').Page} page
 */
async function waitForWorkbench(page, timeout = 60000) {
  await page.locator('.monaco-workbench').waitFor({ timeout });
  await page.locator('.activitybar').waitFor({ timeout });
  await page.locator('.statusbar').waitFor({ timeout });
}

module.exports = { launch, openWorkbench, waitForWorkbench, CHROMIUM_ARGS };
