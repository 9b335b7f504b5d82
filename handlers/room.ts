// The WebSocket handler: websocketd runs one of these per connection.
// stdin/stdout are the socket; see src/handler/chatter.ts for the life of a chatter.
// Nothing at load time but definitions: main() does the work (bench/startup.ts also
// bakes this bundle into a V8 start-up snapshot to compare).

import { writeSync } from 'node:fs';
import { Chatter } from '../src/handler/chatter.js';
import { type Config, loadConfig } from '../src/config.js';
import { LineOutput } from '../src/handler/output.js';
import { readCgi } from '../src/request.js';
import { warn } from '../src/warn.js';

let out: LineOutput;

function fail(message: string): never {
  // Blocking on purpose: the process exits right after this one line.
  writeSync(1, `${JSON.stringify({ type: 'error', code: 'bad_request', message })}\n`);
  process.exit(1);
}

function main(): void {
  const req = readCgi(process.env);
  let room: string;
  try {
    room = Chatter.roomOf(req);
  } catch (e) {
    fail(`bad room name: ${(e as Error).message}`);
  }

  let cfg: Config;
  try {
    cfg = loadConfig();
  } catch (e) {
    warn((e as Error).message);
    fail('the server is misconfigured');
  }

  // Each line becomes one WebSocket frame, in order.
  out = new LineOutput(1, cfg.chat.max_backlog_bytes, () => {
    warn(`${room}: the client stopped reading; dropped`);
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
      warn(String((e as Error).stack ?? e));
      out.write(JSON.stringify({ type: 'error', code: 'storage', message: 'could not join the room' }));
      void chatter.leave('closed');
    });
}

// Loading node:v8 costs ~20 ms at every start; only a snapshot build needs it.
const v8 = process.execArgv.includes('--build-snapshot') ? process.getBuiltinModule('node:v8') : undefined;
if (v8?.startupSnapshot.isBuildingSnapshot()) v8.startupSnapshot.setDeserializeMainFunction(main);
else main();
