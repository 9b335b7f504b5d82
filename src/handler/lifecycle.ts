// Edit and delete, as a chatter asks for them: who may, and what gets logged. Loaded on
// the first edit or delete, not at a join (it reads segments, and may need zlib).

import type { DataDir } from '../store/datadir.js';
import { type Found, findMessage, redactMessage } from '../store/msglookup.js';
import type { NewRoomEvent } from '../store/roomlog.js';
import { type Body, ProtocolError } from '../shared/protocol.js';
import { warn } from '../warn.js';

export interface LifecycleContext {
  d: DataDir;
  room: string;
  /** The chatter's current name: a msg is theirs when its `from` is this. */
  me: string;
  /** 0 = no limit. */
  editWindowMs: number;
  lookbackBytes: number;
  /** May delete other chatters' messages (a room operator). */
  mayDeleteOthers(): boolean;
  log(e: NewRoomEvent): Promise<void>;
}

const MISSING = {
  unknown: 'there is no such message in this room',
  not_msg: 'that is not a chat message: only messages can be edited or deleted',
  too_far: 'that message is too far back in the history to change from here (an admin can delete it: tailroom delete)',
} as const;

async function lookup(ctx: LifecycleContext, ref: string): Promise<Found> {
  const r = await findMessage(ctx.d, ctx.room, ref, ctx.lookbackBytes);
  if (!('found' in r)) throw new ProtocolError('no_such_message', MISSING[r.missing]);
  if (r.found.deleted) throw new ProtocolError('no_such_message', 'that message was deleted');
  return r.found;
}

/** `body` is text, or in an end-to-end room ciphertext (the handler checked which the room takes). */
export async function editMessage(ctx: LifecycleContext, ref: string, body: Body): Promise<void> {
  if (body.text !== undefined && body.text.trim() === '') throw new ProtocolError('bad_request', 'an edit needs some text (to remove a message, delete it)');
  const { msg, body: current } = await lookup(ctx, ref);
  if (msg.from !== ctx.me) throw new ProtocolError('not_yours', 'you can edit only your own messages');
  const sent = Date.parse(msg.t);
  if (ctx.editWindowMs > 0 && !(Date.now() - sent <= ctx.editWindowMs)) {
    throw new ProtocolError('forbidden', `messages can be edited for ${Math.round(ctx.editWindowMs / 60000)} minutes after sending`);
  }
  // The same box again changes nothing (a fresh encryption of the same text always differs).
  if (body.text !== undefined ? body.text === current.text : body.e2e.ct === current.e2e?.ct) return;
  await ctx.log({ type: 'edit', from: ctx.me, ref, ...body });
}

export async function deleteMessage(ctx: LifecycleContext, ref: string): Promise<void> {
  const { msg } = await lookup(ctx, ref);
  if (msg.from !== ctx.me && !ctx.mayDeleteOthers()) throw new ProtocolError('not_yours', 'you can delete only your own messages');
  await ctx.log({ type: 'delete', from: ctx.me, ref });
  // Logged first: the log says it is gone even if the blanking below does not finish.
  if (!(await redactMessage(ctx.d, ctx.room, ref, ctx.lookbackBytes))) warn(`delete of ${ref} in ${ctx.room}: its text could not be blanked everywhere`);
}
