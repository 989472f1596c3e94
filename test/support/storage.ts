/** Which event storage holds a run's events (tests that check the cold index was used). */
import type { Run } from '../../src/core/model/types';
import { EventList, FileEvents } from '../../src/core/model/storage';

/** True when the run's events are read back from its indexed file (model/storage.ts FileEvents). */
export function isFileBacked(run: Run): boolean {
  return run.events instanceof EventList && run.events.storage instanceof FileEvents;
}
