/**
 * The dashboard webview's entry (dist/media/dashboard.js): builds the page from the section
 * modules, draws each model the host sends, and wires the window. The model is the
 * DashboardModel the host computes (src/core/render/dashboard.ts); the webview adds no business
 * logic: it sorts, filters by the selected flow (by asking the host), and formats. DOM is built
 * with createElement/textContent only (dom.ts) — trace data is never parsed as HTML. Colours come
 * from --vscode-* variables (theme.ts), read at draw time and re-read on theme change.
 *
 * Sections, in page order: header.ts, then flows, latency, failures, events, timeline, diff,
 * telemetry (stores.ts: queues and stores) (one module each). All mutable state is in state.ts; all traffic with VS Code goes
 * through messaging.ts.
 */
import { pruneCharts, redrawCharts } from './charts';
import { createDiff } from './diff';
import { h, icon } from './dom';
import { createEvents } from './events';
import { createFailures } from './failures';
import { createFlows } from './flows';
import { createHeader } from './header';
import { createLatency } from './latency';
import { onHostMessage, post } from './messaging';
import { setModel, setPalette, setQuery, setScrollY, state } from './state';
import { createStores } from './stores';
import { readPalette } from './theme';
import { createTimeline } from './timeline';
import type { DashboardQuery, HostMessage, Section } from './types';

function main(): void {
  const root = document.getElementById('root') as HTMLElement;

  /** A control changed the query: remember it, say so, ask the host for the model. */
  const onQuery = (q: DashboardQuery): void => {
    setQuery(q);
    header.setStatus('Updating…');
    post({ type: 'query', query: q });
  };

  const header = createHeader(onQuery);
  const timeline = createTimeline(onQuery);
  const stores = createStores();
  const sections: Section[] = [createFlows(onQuery), createLatency(), createFailures(), createEvents(), timeline, createDiff(onQuery), stores];
  const emptyState = h('div', { class: 'empty-state', hidden: true });
  const page = h('main', {}, ...sections.map((s) => s.el));
  root.append(...header.els, emptyState, page);

  function render(): void {
    const m = state.model;
    if (!m) return;
    header.render(m);
    const noRuns = m.runs.length === 0;
    // No flow run but telemetry (queues, stores): say so, and show the Telemetry section alone (issue 16).
    const telemetryOnly = noRuns && m.stores.length > 0;
    const empty = noRuns && !telemetryOnly;
    emptyState.hidden = !noRuns;
    if (noRuns) {
      const loading = state.loading && !telemetryOnly;
      emptyState.replaceChildren(icon(loading ? 'loading' : telemetryOnly ? 'pulse' : 'graph'), h('h2', {}, loading ? 'Reading traces…' : telemetryOnly ? 'No flow runs here' : 'No runs yet'),
        h('p', {}, loading ? 'Flowlens is reading the traces of this workspace.' : telemetryOnly ? 'This workspace has telemetry queues or stores but no flow trace: their rollups are below.' : 'The dashboard fills in as soon as your app writes a flow trace (for example .autodev/trace.jsonl).'));
    }
    page.hidden = empty;
    if (empty) return;
    for (const s of sections) {
      const shown = !telemetryOnly || s === stores;
      s.el.hidden = !shown;
      if (shown) s.render(m);
    }
    queueMicrotask(pruneCharts);
  }

  onHostMessage((msg: HostMessage) => {
    switch (msg.type) {
      case 'model': {
        const first = setModel(msg);
        render();
        if (first && state.view.scrollY) window.scrollTo(0, state.view.scrollY);
        break;
      }
      case 'exported':
        header.setStatus(msg.format === 'otlp' && /^https?:\/\//.test(msg.path) ? `Sent to ${msg.path}` : `Exported ${msg.path}`);
        break;
      case 'error':
        header.setStatus(msg.message);
        break;
    }
  });
  window.addEventListener('scroll', () => setScrollY(window.scrollY), { passive: true });
  // VS Code swaps vscode-light / vscode-dark / vscode-high-contrast on <body> when the theme changes.
  new MutationObserver(() => {
    setPalette(readPalette());
    redrawCharts();
    timeline.redraw();
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  post({ type: 'ready' });
}

main();
