/** Catalog reload: ra.yaml + flows.yaml (formats.md §1c) re-read when one of them changed. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCatalog, type Catalog } from '../catalog';

/** The catalog files of a workspace folder, relative to it (what loadCatalog reads). */
export const CATALOG_FILES: readonly string[] = ['.autodev/ra.yaml', '.autodev/flows.yaml', 'ra.yaml', 'flows.yaml'];

export class CatalogReload {
  catalog?: Catalog;
  private sig = '';

  constructor(
    private readonly root: string,
    private readonly env?: Record<string, string | undefined>,
  ) {}

  /** Stat the catalog files; re-read them when their size or mtime changed. True = re-read. */
  reload(): boolean {
    const sig = CATALOG_FILES.map((f) => {
      try {
        const st = fs.statSync(path.join(this.root, f));
        return `${st.mtimeMs}:${st.size}`;
      } catch {
        return '-';
      }
    }).join('|');
    if (sig === this.sig && this.catalog) return false;
    this.sig = sig;
    this.catalog = loadCatalog(this.root, { env: this.env });
    return true;
  }
}
