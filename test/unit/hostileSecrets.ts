/** What test/fixtures/hostile/secrets/make.py plants, and how tests look for it in any output. */

/** The secrets make.py prints: per run and per store, by name. */
export interface Secrets { run: Record<string, string>; store: Record<string, string> }

/** Every secret, plus fragments of each (a cut secret leaks too): its start and, for long ones, windows through it. */
export function needles(s: Secrets): string[] {
  const out: string[] = [];
  for (const v of [...Object.values(s.run), ...Object.values(s.store)]) {
    out.push(v, v.slice(0, 12), v.slice(-12));
    for (let i = 0; i + 24 <= v.length; i += 50) out.push(v.slice(i, i + 24));
  }
  return [...new Set(out)];
}
