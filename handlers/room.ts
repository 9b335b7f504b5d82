// The WebSocket handler: websocketd runs one of these per connection.
// stdin/stdout are the socket; see src/chatter.ts for the life of a chatter.
//
// The build also bakes this bundle into a V8 start-up snapshot (dist/room.blob): every
// module is already loaded when a process starts from it, so main() runs at once.

import { startupSnapshot } from 'node:v8';
import { Chatter, requestFromEnv } from '../src/chatter.js';
import { loadConfig } from '../src/config.js';

const out = {
  write(line: string): void {
    // Pipes are synchronous on Linux: each line reaches websocketd as one frame, in order.
    process.stdout.write(line + '\n');
  },
};

function fail(message: string): never {
  out.write(JSON.stringify({ type: 'error', code: 'bad_request', message }));
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

  const chatter = new Chatter(cfg, room, req, out, (code) => {
    process.exitCode = code;
    // Let queued stdout drain, then go: websocketd escalates to SIGKILL within a second.
    setImmediate(() => process.exit(code));
  });

  process.stdout.on('error', () => void chatter.leave('closed'));
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
