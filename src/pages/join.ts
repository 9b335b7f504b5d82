// Invite links: join?room=R&invite=TOKEN (made by `tailroom invite` and /invite). The GET
// only looks (link previews and mail scanners open links: they must not spend a use);
// the page's one button POSTs, which spends one use under the invite's lock and puts a
// grant for the room in the session, then goes on to the room.

import { keySeal, provedName, roomAccess } from '../access.js';
import { type Identity, identify } from '../identity.js';
import { type InviteOutcome, peekInvite, useInvite } from '../store/invites.js';
import { withGrant } from '../store/sessions.js';
import { checkForm, formSession, saveSession, sessionCookie } from './forms.js';
import { type PageHandler, type PageResponse, HttpError, allowMethods, param, redirect, requestedRoom } from './http.js';
import { page } from './layout.js';
import { refusalMessage } from './refusals.js';
import { roomHref } from './rooms.js';

/** What a link that admits nobody says, and its status. */
const NOT_OK: Record<Exclude<InviteOutcome, 'ok'>, [number, string]> = {
  invalid: [404, 'This invite link is not valid: check that it was copied whole, or ask for a new one.'],
  spent: [410, 'This invite was used up: ask whoever sent it for a new one.'],
  expired: [410, 'This invite expired: ask whoever sent it for a new one.'],
};

function refused(outcome: InviteOutcome): never {
  const [status, message] = NOT_OK[outcome as Exclude<InviteOutcome, 'ok'>];
  throw new HttpError(status, message);
}

export const joinPage: PageHandler = async (req, { cfg, d, now }) => {
  allowMethods(req, 'GET', 'POST');
  const fields = req.method === 'POST' ? req.form : req.query;
  const rawRoom = param(fields, 'room');
  if (rawRoom === undefined) throw new HttpError(400, 'Which room? An invite link names one: join?room=R&invite=TOKEN.');
  const room = requestedRoom(rawRoom);
  const token = param(fields, 'invite') ?? '';
  const me = identify(cfg, d, req, now.getTime());
  const access = roomAccess(d, room, me, provedName(d, me));
  // A grant cannot open a room whose settings file is damaged: say so before spending anything.
  if (access.refusal === 'damaged') throw new HttpError(403, refusalMessage('damaged'));

  if (req.method !== 'POST') {
    const outcome = peekInvite(d, room, token, now);
    if (outcome !== 'ok') refused(outcome);
    const { token: csrf, headers } = formSession(cfg, d, req, me);
    return invitePage(me, { room, invite: token, csrf, already: access.ok, chatHref: roomHref(room) }, headers);
  }

  const id = checkForm(cfg, d, req, me, 'invite link');
  const outcome = await useInvite(d, room, token, now);
  if (outcome !== 'ok') refused(outcome);
  saveSession(d, id, me, (s) => withGrant(s, room, keySeal(access.settings)), now);
  return redirect(roomHref(room), { 'Set-Cookie': sessionCookie(cfg, id, req.https) });
};

function invitePage(me: Identity, view: Record<string, unknown>, headers: Record<string, string>): PageResponse {
  return page('join', view, { title: `Invited to ${String(view.room)}`, page: 'join', user: me }, { headers, cache: 'no-store' });
}
