/**
 * Run timeline section: one row per flow of one run, nested by parent, on its own virtualised
 * canvas. Only the visible rows are drawn (a spacer gives the scroll height). Hover shows the
 * evidence, a click or Enter opens the code, arrow/Page/Home/End keys move the selection (announced
 * to screen readers). The head picks the run and exports it (Chrome trace, Mermaid, OpenTelemetry).
 */
import { button, h, icon } from './dom';
import { fmtMs, niceTicks } from './format';
import { post } from './messaging';
import { setTimelineHover, setTimelineKbTip, setTimelineRaf, setTimelineRows, setTimelineScroll, setTimelineSelected, state } from './state';
import { verdictColor } from './theme';
import type { Model, OnQuery, Section, TimelineRow } from './types';
import { fillRunSelect, section } from './widgets';

const ROW = 22;
const HEAD = 24;

export interface Timeline extends Section {
  /** Redraws on the next frame (after a theme change). */
  redraw(): void;
}

function tipText(r: TimelineRow): string {
  const lines = [r.name, `${r.verdict}${r.failureClass ? ` · ${r.failureClass}` : ''} · ${fmtMs(r.durMs)}${r.startMs !== undefined ? ` at +${fmtMs(r.startMs)}` : ''}`];
  if (r.step) lines.push(`step: ${r.step}`);
  if (r.reason) lines.push(`reason: ${r.reason}`);
  if (r.evidence) lines.push(`evidence: ${r.evidence}`);
  if (r.file) lines.push(`${r.file}${r.line ? `:${r.line}` : ''}${r.file ? ' — click to open' : ''}`);
  lines.push(`flow id: ${r.id}`);
  return lines.join('\n');
}

function exportRun(format: 'chrome' | 'mermaid' | 'otlp'): void {
  const runId = state.model?.timeline?.runId;
  if (runId) post({ type: 'export', format, runId });
}

export function createTimeline(onQuery: OnQuery): Timeline {
  const exportChrome = button([icon('export'), ' Chrome trace'], () => exportRun('chrome'), { title: 'Export the timeline run as Chrome trace-event JSON (opens in Perfetto)' });
  const exportMermaid = button([icon('type-hierarchy'), ' Mermaid'], () => exportRun('mermaid'), { title: 'Export the timeline run’s flow tree as a Mermaid flowchart' });
  const exportOtlp = button([icon('cloud-upload'), ' OpenTelemetry'], () => exportRun('otlp'), { title: 'Export the timeline run as OpenTelemetry (OTLP/JSON): save a file, or send it to flowlens.otel.endpoint' });
  const runSelect = h('select', { 'aria-label': 'Timeline run' });
  const sec = section('timeline', 'Run timeline', 'one row per flow, nested by parent — hover for evidence, click to open the code', runSelect, exportChrome, exportMermaid, exportOtlp);
  runSelect.addEventListener('change', () => onQuery({ ...state.query, timelineRunId: runSelect.value || undefined }));

  const wrap = h('div', { class: 'timeline-wrap' });
  const scroll = h('div', { class: 'timeline-scroll', tabindex: 0, role: 'listbox', 'aria-label': 'Run timeline: arrow keys move, Enter opens the code' });
  const canvas = h('canvas', { class: 'timeline-canvas', 'aria-hidden': 'true' });
  const spacer = h('div', { class: 'timeline-spacer' });
  const tip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
  const live = h('div', { class: 'sr-only', 'aria-live': 'polite' });
  scroll.append(canvas, spacer);
  wrap.append(scroll, tip, live);

  const labelWidth = (): number => Math.min(320, Math.max(160, scroll.clientWidth * 0.3));

  function scheduleDraw(): void {
    if (state.timeline.raf) return;
    setTimelineRaf(requestAnimationFrame(() => {
      setTimelineRaf(0);
      draw();
    }));
  }

  function draw(): void {
    const tl = state.timeline;
    const palette = state.palette;
    const c = canvas;
    const w = scroll.clientWidth;
    const viewH = scroll.clientHeight;
    if (!w || !viewH) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(viewH * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(viewH * dpr);
      c.style.width = `${w}px`;
      c.style.height = `${viewH}px`;
    }
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, viewH);
    const labelW = labelWidth();
    const barX = labelW + 8;
    const barW = Math.max(40, w - barX - 12);
    const span = tl.spanMs || 1;
    const top = scroll.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW));
    const last = Math.min(tl.rows.length - 1, Math.ceil((top + viewH - HEAD) / ROW));
    ctx.font = `12px ${palette.font}`;
    ctx.textBaseline = 'middle';
    // Grid lines and time axis: nice steps (1/2/5 × 10^n ms), not sixths of the span.
    const ticks = niceTicks(tl.spanMs);
    for (const t of ticks) {
      const x = barX + (t / span) * barW;
      ctx.strokeStyle = palette.grid;
      ctx.globalAlpha = 0.5;
      ctx.beginPath();
      ctx.moveTo(x + 0.5, HEAD);
      ctx.lineTo(x + 0.5, viewH);
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    for (let i = first; i <= last; i++) {
      const r = tl.rows[i];
      const y = HEAD + i * ROW - top;
      if (i === tl.selected || i === tl.hover) {
        ctx.fillStyle = i === tl.selected ? palette.selection : palette.hover;
        ctx.fillRect(0, y, w, ROW);
      }
      const indent = 8 + r.depth * 14;
      ctx.fillStyle = r.verdict === 'failed' || r.verdict === 'exception' ? palette.red : palette.fg;
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, y, labelW, ROW);
      ctx.clip();
      if (r.depth > 0) {
        ctx.fillStyle = palette.muted;
        ctx.fillText('└', indent - 12, y + ROW / 2);
        ctx.fillStyle = r.verdict === 'failed' || r.verdict === 'exception' ? palette.red : palette.fg;
      }
      ctx.fillText(r.name, indent, y + ROW / 2);
      ctx.restore();
      if (r.startMs !== undefined) {
        const x = barX + (r.startMs / span) * barW;
        const bw = Math.max(2, ((r.durMs ?? 0) / span) * barW);
        ctx.fillStyle = verdictColor(palette, r.verdict);
        ctx.globalAlpha = r.verdict === 'running' || r.verdict === 'orphaned' ? 0.6 : 0.9;
        ctx.fillRect(x, y + 5, bw, ROW - 10);
        ctx.globalAlpha = 1;
        const label = fmtMs(r.durMs);
        const tw = ctx.measureText(label).width;
        ctx.fillStyle = palette.muted;
        if (x + bw + 6 + tw < barX + barW) ctx.fillText(label, x + bw + 6, y + ROW / 2);
        else if (x - 6 - tw > barX) {
          ctx.textAlign = 'right';
          ctx.fillText(label, x - 6, y + ROW / 2);
          ctx.textAlign = 'left';
        }
      }
    }
    // Axis on top of the rows.
    ctx.fillStyle = palette.bg;
    ctx.fillRect(0, 0, w, HEAD);
    ctx.fillStyle = palette.muted;
    ctx.font = `11px ${palette.font}`;
    ctx.fillText(`${tl.rows.length} ${tl.rows.length === 1 ? 'flow' : 'flows'}`, 8, HEAD / 2);
    ticks.forEach((t, i) => {
      const x = barX + (t / span) * barW;
      // The first label starts at its tick; one too close to the right edge ends at it.
      ctx.textAlign = i === 0 ? 'left' : x + 30 > barX + barW ? 'right' : 'center';
      ctx.fillText(fmtMs(t), x, HEAD / 2);
    });
    ctx.textAlign = 'left';
    ctx.strokeStyle = palette.grid;
    ctx.beginPath();
    ctx.moveTo(0, HEAD - 0.5);
    ctx.lineTo(w, HEAD - 0.5);
    ctx.stroke();
  }

  function rowAt(clientY: number): number {
    const rect = scroll.getBoundingClientRect();
    const y = clientY - rect.top - HEAD + scroll.scrollTop;
    if (clientY - rect.top < HEAD) return -1;
    const i = Math.floor(y / ROW);
    return i >= 0 && i < state.timeline.rows.length ? i : -1;
  }

  function showTip(i: number, clientX?: number, clientY?: number): void {
    setTimelineKbTip(clientX === undefined);
    if (i < 0) {
      tip.hidden = true;
      return;
    }
    tip.textContent = tipText(state.timeline.rows[i]);
    tip.hidden = false;
    const wrapRect = wrap.getBoundingClientRect();
    const scrollRect = scroll.getBoundingClientRect();
    const x = clientX !== undefined ? clientX - wrapRect.left + 14 : labelWidth();
    const y = clientY !== undefined ? clientY - wrapRect.top + 14 : HEAD + (i + 1) * ROW - scroll.scrollTop + (scrollRect.top - wrapRect.top);
    const maxX = wrapRect.width - tip.offsetWidth - 4;
    tip.style.left = `${Math.max(4, Math.min(x, maxX))}px`;
    tip.style.top = `${Math.max(4, y)}px`;
  }

  function openRow(i: number): void {
    const r = state.timeline.rows[i];
    if (r?.file) post({ type: 'openLocation', file: r.file, line: r.line });
  }

  function selectRow(i: number, announce = true): void {
    setTimelineSelected(i);
    const tl = state.timeline;
    const y = tl.selected * ROW;
    const viewH = scroll.clientHeight - HEAD;
    if (y < scroll.scrollTop) scroll.scrollTop = y;
    else if (y + ROW > scroll.scrollTop + viewH) scroll.scrollTop = y + ROW - viewH;
    if (announce && tl.rows[tl.selected]) {
      const r = tl.rows[tl.selected];
      live.textContent = `${r.name}, ${r.verdict}, ${fmtMs(r.durMs)}${r.reason ? `, ${r.reason}` : ''}`;
      showTip(tl.selected);
    }
    scheduleDraw();
  }

  scroll.addEventListener('scroll', () => {
    setTimelineScroll(scroll.scrollTop);
    // A keyboard-selected row keeps its tooltip (it scrolled into view); a mouse one follows the pointer.
    if (state.timeline.kbTip && state.timeline.selected >= 0) showTip(state.timeline.selected);
    else tip.hidden = true;
    scheduleDraw();
  }, { passive: true });
  scroll.addEventListener('mousemove', (e) => {
    const i = rowAt(e.clientY);
    if (i !== state.timeline.hover) {
      setTimelineHover(i);
      scheduleDraw();
    }
    showTip(i, e.clientX, e.clientY);
    scroll.style.cursor = i >= 0 && state.timeline.rows[i].file ? 'pointer' : 'default';
  });
  scroll.addEventListener('mouseleave', () => {
    setTimelineHover(-1);
    tip.hidden = true;
    scheduleDraw();
  });
  scroll.addEventListener('click', (e) => {
    const i = rowAt(e.clientY);
    if (i < 0) return;
    selectRow(i, false);
    openRow(i);
  });
  scroll.addEventListener('keydown', (e) => {
    const tl = state.timeline;
    const page = Math.max(1, Math.floor((scroll.clientHeight - HEAD) / ROW) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (e.key in moves) {
      e.preventDefault();
      selectRow((tl.selected < 0 ? -1 : tl.selected) + moves[e.key]);
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      selectRow(e.key === 'Home' ? 0 : tl.rows.length - 1);
    } else if ((e.key === 'Enter' || e.key === ' ') && tl.selected >= 0) {
      e.preventDefault();
      openRow(tl.selected);
    } else if (e.key === 'Escape') {
      tip.hidden = true;
    }
  });
  scroll.addEventListener('blur', () => (tip.hidden = true));
  new ResizeObserver(() => scheduleDraw()).observe(scroll);

  function render(m: Model): void {
    const t = m.timeline;
    const tl = state.timeline;
    fillRunSelect(runSelect, m, t?.runId);
    exportChrome.disabled = !t;
    exportMermaid.disabled = !t;
    if (!t || !t.rows.length) {
      sec.body.replaceChildren(h('p', { class: 'calm' }, t ? 'This run has no flows.' : 'No run selected.'));
      return;
    }
    const sameRun = tl.rows.length > 0 && tl.rows[0] && sec.body.contains(wrap) && (scroll.dataset.run ?? '') === t.runId;
    const keepId = sameRun ? tl.rows[tl.selected]?.id ?? state.view.timelineSelected : state.view.timelineSelected;
    setTimelineRows(t.rows, t.spanMs, keepId ? t.rows.findIndex((r) => r.id === keepId) : -1);
    // Height is reserved from the row count (capped): live updates never make the page jump.
    const viewH = Math.min(HEAD + t.rows.length * ROW, 520);
    scroll.style.height = `${viewH}px`;
    canvas.style.height = `${viewH}px`;
    spacer.style.height = `${Math.max(0, HEAD + t.rows.length * ROW - viewH)}px`;
    if (!sec.body.contains(wrap)) {
      const legend = h('div', { class: 'legend' }, ...['succeeded', 'failed', 'exception', 'orphaned', 'running'].map((v) => h('span', { class: `legend-item v-${v}` }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), v)));
      sec.body.replaceChildren(legend, wrap);
    }
    if (!sameRun) scroll.scrollTop = scroll.dataset.run === undefined ? state.view.timelineScroll : 0;
    scroll.dataset.run = t.runId;
    scheduleDraw();
  }

  return { el: sec.el, render, redraw: scheduleDraw };
}
