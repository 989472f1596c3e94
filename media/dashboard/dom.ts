/**
 * DOM helpers that build nodes from createElement, attributes and text only: trace data never goes
 * through an HTML parser. No innerHTML, outerHTML or insertAdjacentHTML anywhere in the webview.
 */

import { slashParts } from './format';

export type Child = Node | string | number | undefined | null | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

export function icon(name: string): HTMLElement {
  return h('span', { class: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

/** A focusable button; Enter and Space activate it (native button behaviour). */
export function button(label: Child[], onClick: (ev: MouseEvent) => void, attrs: Record<string, string | boolean | undefined> = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, ...label);
  b.addEventListener('click', (ev) => {
    ev.stopPropagation();
    onClick(ev);
  });
  return b;
}

/**
 * A path-like name (`data/fetch/minute_candles`) as text parts with a `<wbr>` element after each
 * `/`, so a narrow cell wraps between the parts, never mid-word (issue 16). DOM only, no HTML.
 */
export function slashBreaks(name: string): Child[] {
  return slashParts(name).flatMap((part, i) => (i === 0 ? [part] : [h('wbr'), part]));
}
