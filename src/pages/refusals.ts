// What a page says when src/access.ts refuses a room: the handler's words, as sentences.
// Apart from the chat page so the history page gets them without the form machinery.

import { type Refusal, REFUSALS } from '../access.js';

export function refusalMessage(refusal: Refusal): string {
  const text = REFUSALS[refusal];
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** The 403 of a private room: an outsider who has not signed in may only need to. */
export function privateMessage(proved: string | undefined): string {
  const why = refusalMessage('private');
  return proved === undefined ? `${why} If you are one of its members, you may need to sign in to a registered name on the settings page.` : why;
}
