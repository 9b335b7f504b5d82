// The WebSocket handler: websocketd runs one of these per connection.
// stdin/stdout are the socket; see src/chatter.ts for the life of a chatter.
//
// The build also bakes this bundle into a V8 start-up snapshot (dist/room.blob): every
// module is already loaded when a process starts from it, so main() runs at once.

import { writeSync } from 'node:fs';
import { startupSnapshot } from 'node:v8';
import { Chatter, requestFromEnv } from '../src/chatter.js';
import { loadConfig } from '../src/config.js';
import { LineOutput } from '../src/output.js';

let out: LineOutput;

function fail(message: string): never {
  // Blocking on purpose: the process exits right after this one line.
  writeSync(1, JSON.stringify({ type: 'error', code: 'bad_request', message }) + '\n');
  process.exit(1);
}

function main(): void {
  const req = requestFromEnv(process.env);
  let room: string;
  try {
    room = Chatter.roomOf(req);
  } catch (e) {
    fail(`bad room name: ${(e as Error).message}`);
  }

  let cfg;
  try {
    cfg = loadConfig();
  } catch (e) {
    process.stderr.write(`tailroom: ${(e as Error).message}\n`);
    fail('the server is misconfigured');
  }

  // Each line becomes one WebSocket frame, in order.
  out = new LineOutput(1, cfg.chat.max_backlog_bytes, () => {
    process.stderr.write(`tailroom: ${room}: the client stopped reading; dropped\n`);
    void chatter.leave('lost');
  });
  const chatter = new Chatter(cfg, room, req, out, (code) => {
    process.exitCode = code;
    // Let queued lines drain, then go: websocketd escalates to SIGKILL within a second.
    void out.close().then(() => process.exit(code));
  });

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void chatter.leave('closed'));

  chatter
    .start()
    .then(() => {
      process.stdin.on('data', (chunk: Buffer) => chatter.reader.push(chunk));
      process.stdin.on('end', () => {
        chatter.reader.end();
        void chatter.leave('closed');
      });
    })
    .catch((e: unknown) => {
      process.stderr.write(`tailroom: ${(e as Error).stack ?? e}\n`);
      out.write(JSON.stringify({ type: 'error', code: 'storage', message: 'could not join the room' }));
      void chatter.leave('closed');
    });
}

if (startupSnapshot?.isBuildingSnapshot()) startupSnapshot.setDeserializeMainFunction(main);
else main();
