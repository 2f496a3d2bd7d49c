/**
 * Reload zone files when they change on disk (`serve --watch`). Editors save in several
 * steps (truncate, write, rename), so events are gathered for a short while before a reload,
 * and the folder is watched rather than the file so a rename-on-save is seen too.
 */

import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";

/** How long a burst of file events is gathered before the reload. */
export const WATCH_SETTLE_MS = 200;

export function watchZoneFiles(
  files: Map<string, string>,
  onChange: (origins: string[]) => void,
  settleMs = WATCH_SETTLE_MS,
): { close(): void } {
  const byDir = new Map<string, Map<string, string>>();
  for (const [file, origin] of files) {
    const dir = dirname(file);
    const m = byDir.get(dir) ?? new Map<string, string>();
    byDir.set(dir, m);
    m.set(basename(file), origin);
  }
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    const w = watch(dir, (_event, name) => {
      const origin = name ? names.get(name.toString()) : undefined;
      if (!origin) return;
      pending.add(origin);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const origins = [...pending];
        pending.clear();
        onChange(origins);
      }, settleMs);
    });
    watchers.push(w);
  }
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
