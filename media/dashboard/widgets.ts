/** Building blocks the sections share: a titled page section, a link to code, a run picker. */
import { button, h, icon, type Child } from './dom';
import { locText } from './format';
import { post } from './messaging';
import type { Loc, Model } from './types';

export interface SectionBox {
  el: HTMLElement;
  body: HTMLElement;
  head: HTMLElement;
}

/** `<section id>` with a head (title, description, then `extra` controls on the right) and a body. */
export function section(id: string, title: string, desc: string, ...extra: Child[]): SectionBox {
  const head = h('div', { class: 'section-head' }, h('h2', { id: `${id}-title` }, title), h('span', { class: 'section-desc' }, desc), h('span', { class: 'spacer' }), ...extra);
  const body = h('div', { class: 'section-body' });
  const el = h('section', { id, 'aria-labelledby': `${id}-title` }, head, body);
  return { el, body, head };
}

/** A button that asks the host to open the code at `l` ('' when there is no file). */
export function locButton(l: Loc, label?: string): HTMLElement | string {
  if (!l.file) return '';
  const text = label ?? locText(l);
  const title = `Open ${l.resolvedPath ?? l.file}${l.line ? `:${l.line}` : ''}`;
  return button([icon('go-to-file'), ' ', text], () => post({ type: 'openLocation', file: l.file as string, line: l.line }), { class: 'link', title, 'aria-label': title });
}

/** Fills a run `<select>` with the model's runs (status and failing count in the label). */
export function fillRunSelect(sel: HTMLSelectElement, m: Model, value: string | undefined, placeholder?: string): void {
  const opts: HTMLOptionElement[] = [];
  if (placeholder !== undefined) opts.push(h('option', { value: '' }, placeholder));
  for (const r of m.runs) {
    const label = `${r.id}${r.status !== 'ok' ? ` · ${r.status}` : ''}${r.failing ? ` · ${r.failing} failing` : ''}`;
    opts.push(h('option', { value: r.id }, label));
  }
  sel.replaceChildren(...opts);
  sel.value = value ?? '';
}
