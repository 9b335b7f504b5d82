// Kicking a chatter: what `rm -r users/ROOM/NAME` does, done politely; the one mechanism
// behind `tailroom kick` and an operator's /kick. A live handler gets a `kick` in its
// inbox, says why to its browser, logs its own `leave` and closes. A dead one (its
// process gone, its lock stale) is reaped here with one `leave` (kicked). A handler that
// does not answer in time is removed by force; if it wakes up later it finds the leave
// already logged and does not log another.

import { type DataDir, roomLogPath } from './datadir.js';
import { deliver, isPresent } from './inbox.js';
import { readInfo, reapIfDead, removePresence } from './presence.js';
import { ProtocolError, type UserSummary } from '../shared/protocol.js';
import { appendEvent, leaveLoggedSince } from './roomlog.js';

/**
 * What became of the chatter: its handler left and logged its leave (kicked), it was
 * dead and its presence was reaped here (reaped), it did not answer in time and was
 * removed by force (forced), or it left by itself before the kick reached it (gone).
 */
export type KickOutcome = 'kicked' | 'reaped' | 'forced' | 'gone';

export interface KickOptions {
  /** Told to the chatter. */
  reason?: string;
  /** Who kicks (an operator), told to the chatter; absent for the admin. */
  from?: string;
  /** How long a live handler gets to leave before it is removed by force. */
  waitMs: number;
  staleMs: number;
  sharedFs?: boolean;
}

export interface KickResult {
  outcome: KickOutcome;
  /** Whether a leave (kicked) was in the log when we looked: false when the handler had not written it yet, or left by itself. */
  logged: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Throws ProtocolError no_such_user when nobody of that name is there. */
export async function kickChatter(d: DataDir, room: string, name: string, o: KickOptions): Promise<KickResult> {
  if (!isPresent(d, room, name)) throw new ProtocolError('no_such_user', `nobody called ${name.slice(0, 40)} is in ${room}`);
  const since = new Date().toISOString();
  const logPath = roomLogPath(d, room);
  const logLeave = async (u: UserSummary) => {
    await appendEvent(d, room, { type: 'leave', from: u.name, color: u.color, reason: 'kicked' }, { sharedFs: o.sharedFs });
  };
  if (await reapIfDead(d, room, name, o.staleMs, logLeave)) return { outcome: 'reaped', logged: true };
  const color = readInfo(d, room, name)?.color ?? '';
  try {
    await deliver(d, room, name, { type: 'kick', ...(o.from ? { from: o.from } : {}), ...(o.reason ? { text: o.reason } : {}) }, o.sharedFs);
  } catch (e) {
    if (e instanceof ProtocolError) return { outcome: 'gone', logged: false };
    throw e;
  }
  // The handler vacates, then logs: done when its leave is in the log.
  const until = Date.now() + o.waitMs;
  while (Date.now() < until) {
    if (!isPresent(d, room, name) && leaveLoggedSince(logPath, name, since)) return { outcome: 'kicked', logged: true };
    await sleep(100);
  }
  if (!isPresent(d, room, name)) return { outcome: 'kicked', logged: false };
  if (!(await removePresence(d, room, name, () => logLeave({ name, color })))) {
    // It left just now, as we were about to remove it.
    return { outcome: 'kicked', logged: leaveLoggedSince(logPath, name, since) };
  }
  return { outcome: 'forced', logged: true };
}
