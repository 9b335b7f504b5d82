// Child-process workers for the concurrency tests: real separate processes racing on
// real files, as websocketd's handlers do.
//   append PATH TAG COUNT BYTES   append COUNT lines of about BYTES bytes each
//   mix PATH TAG COUNT MIN MAX GO MS   once the file GO exists (at most 30 s), append up to
//                                 COUNT lines of MIN..MAX bytes (mixLine) for at most MS ms;
//                                 print "ready" first, "ack I" per line appended, "err I MESSAGE"
//                                 per line refused
//   leave-then-linger DATA ROOM NAME RELEASE   claim, give up, exit once RELEASE exists
//   join DATA ROOM NAME RELEASE   claim a presence, print the name got, hold it until
//                                 the file RELEASE exists (at most 30 s), vacate
import { existsSync } from 'node:fs';
import { appendLine, StorageError } from '../../src/store/jsonl.js';
import { dataDir } from '../../src/store/datadir.js';
import { Presence } from '../../src/store/presence.js';
import { mixLine } from './mixline.js';

const [verb, ...args] = process.argv.slice(2);

/** This verb's arguments, all of them required: a test that forgets one fails here, not later. */
function take<const K extends readonly string[]>(...names: K): { [I in keyof K]: string } {
  if (args.length < names.length) {
    process.stderr.write(`usage: workers.ts ${verb} ${names.join(' ')}\n`);
    process.exit(2);
  }
  return args.slice(0, names.length) as { [I in keyof K]: string };
}

if (verb === 'append') {
  const [path, tag, count, bytes] = take('PATH', 'TAG', 'COUNT', 'BYTES');
  for (let i = 0; i < Number(count); i++) {
    const line = JSON.stringify({ tag, i, pad: tag.repeat(Math.ceil(Number(bytes) / tag.length)).slice(0, Number(bytes)) });
    await appendLine(path, line);
  }
} else if (verb === 'mix') {
  const [path, tag, count, min, max, go, ms] = take('PATH', 'TAG', 'COUNT', 'MIN', 'MAX', 'GO', 'MS');
  process.stdout.write('ready\n');
  // Polled often: the lines of all writers should overlap, and each takes microseconds.
  for (let i = 0; i < 15000 && !existsSync(go); i++) await new Promise((r) => setTimeout(r, 2));
  const end = Date.now() + Number(ms);
  // Sizes from a generator seeded by the tag: a failure can be replayed.
  let seed = [...tag].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  for (let i = 0; i < Number(count) && Date.now() < end; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const bytes = Number(min) + (seed % (Number(max) - Number(min) + 1));
    try {
      await appendLine(path, mixLine(tag, i, bytes));
      process.stdout.write(`ack ${i}\n`);
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
      process.stdout.write(`err ${i} ${e.message}\n`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
} else if (verb === 'leave-then-linger') {
  // Claim a name, give it up, then stay alive until RELEASE exists: meanwhile someone
  // else may take the name, and our exit must not touch their lock.
  const [root, room, name, release] = take('DATA', 'ROOM', 'NAME', 'RELEASE');
  const p = await Presence.join(dataDir(root), room, name, '#000000', { staleMs: 5000, onLost: () => undefined, onReaped: async () => undefined });
  await p.vacate();
  process.stdout.write('left\n');
  for (let i = 0; i < 600 && !existsSync(release); i++) await new Promise((r) => setTimeout(r, 50));
  process.exit(0);
} else if (verb === 'join') {
  const [root, room, name, hold] = take('DATA', 'ROOM', 'NAME', 'RELEASE');
  const p = await Presence.join(dataDir(root), room, name, '#000000', { staleMs: 5000, onLost: () => undefined, onReaped: async () => undefined });
  process.stdout.write(`${p.name}\n`);
  for (let i = 0; i < 600 && !existsSync(hold); i++) await new Promise((r) => setTimeout(r, 50));
  await p.vacate();
  process.exit(0);
}
