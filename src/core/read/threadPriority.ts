/**
 * Background worker threads (the parallel index, SQLite reads) lower their own CPU priority so
 * the extension host's thread — views, commands, the editor's extension API calls — wins the CPU.
 * On Linux a thread is a task with its own id, and setpriority on that id affects only it; on
 * other systems (no /proc/thread-self) or when not permitted, the thread keeps normal priority.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Lower the calling thread's priority to nice 10 (Linux); a no-op elsewhere. */
export function lowerThreadPriority(): void {
  try {
    const tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')));
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, 10);
  } catch {
    // not Linux, or not permitted: normal priority
  }
}
