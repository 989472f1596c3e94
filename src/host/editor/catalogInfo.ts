/**
 * What the views need from ra.yaml / flows.yaml for one flow: description, code_refs, SLA.
 * A missing catalog just means "no extra information".
 */
import { slaFor, type Catalog } from '../../core/read/catalog';

export interface FlowInfo {
  description?: string;
  codeRefs: string[];
  slaP95Ms?: number;
}

export function flowInfo(catalog: Catalog | undefined, name: string | undefined): FlowInfo {
  if (!catalog || !name) return { codeRefs: [] };
  const spec = catalog.flowsById.get(name);
  return { description: spec?.description, codeRefs: spec?.codeRefs ?? [], slaP95Ms: slaFor(catalog, name) };
}

/** code_ref path (relative to the workspace root) → flow ids that list it. */
export function codeRefIndex(catalog: Catalog | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of catalog?.flows ?? []) for (const r of f.codeRefs) out.set(r, [...(out.get(r) ?? []), f.id]);
  return out;
}
