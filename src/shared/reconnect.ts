// How long a client waits before it reconnects: the chat page and `tailroom connect` alike.

/** Backoff: 0.5 s doubling to 30 s, each wait drawn from its upper half (no thundering herd). */
export function backoffMs(attempt: number, random = Math.random()): number {
  const ceiling = Math.min(30000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}
