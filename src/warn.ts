// One line for the admin's log. websocketd copies a handler's stderr to its own log
// (journald under systemd). A plain write(2): process.stderr would build a stream at
// every start for a line that most connections never write.

import { writeSync } from 'node:fs';

export function warn(message: string): void {
  logLine(`tailroom: ${message}`);
}

/** One line to stderr as it is (the audit trail writes its own prefix). */
export function logLine(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // stderr closed or full: there is nowhere left to say it
  }
}
