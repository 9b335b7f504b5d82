// Property-based fuzzing of everything that parses input from a browser: the line
// parser, the slash commands, names that become paths, and the pages' query strings.
// Properties: no crash (only the protocol's own errors), and nothing written outside
// the data directory.

import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import fc from 'fast-check';
import { parseCommand, runCommand } from '../../src/commands/index.js';
import type { CommandContext } from '../../src/commands/types.js';
import { loadConfig } from '../../src/config.js';
import { dataDir, presenceDir, roomLogPath } from '../../src/store/datadir.js';
import { NameError, roomFromPath, validateRoom, validateUserName } from '../../src/store/names.js';
import { respond } from '../../src/pages/cgi.js';
import { historyPage } from '../../src/pages/history.js';
import { roomsPage } from '../../src/pages/rooms.js';
import { settingsPage } from '../../src/pages/settings.js';
import { parseClientLine, ProtocolError, type RoomEvent } from '../../src/shared/protocol.js';
import type { NewRoomEvent } from '../../src/store/roomlog.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** Strings a hostile client would try: separators, dots, control characters, JSON-ish. */
const hostile = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(
    '..',
    '../../etc/passwd',
    '/etc/passwd',
    '.lock',
    'a/../../b',
    '%2e%2e',
    '\u0000',
    'a\\b',
    '{"type":',
    '/dice 1000000 1000000',
    '/roll 999999d999999',
  ),
  fc.array(fc.constantFrom('.', '/', '\\', '%', '2', 'e', 'f', 'F', 'a', '\u0000', '\n', ' ', ':', '"', '{', '}'), { maxLength: 40 }).map((a) => a.join('')),
);

describe('fuzzing what browsers send', () => {
  it('the line parser only ever answers with a message or a protocol error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostile,
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ type: 'msg', text: v })),
        ),
        (line) => {
          try {
            const m = parseClientLine(line);
            assert.ok(['msg', 'whisper', 'signal', 'ping'].includes(m.type));
          } catch (e) {
            assert.ok(e instanceof ProtocolError, `unexpected ${(e as Error).stack}`);
          }
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('a name that passes validation stays inside the data directory', () => {
    const d = dataDir('/srv/tailroom');
    fc.assert(
      fc.property(hostile, hostile, (room, user) => {
        let r: string;
        let u: string;
        try {
          r = validateRoom(room);
          u = validateUserName(user);
        } catch (e) {
          assert.ok(e instanceof NameError);
          return;
        }
        for (const p of [roomLogPath(d, r), presenceDir(d, r, u)]) {
          const rel = relative(d.root, resolve(p));
          assert.ok(!rel.startsWith('..') && !rel.startsWith('/'), `${p} escapes`);
          assert.equal(resolve(p), p, `${p} is not already normal`);
        }
      }),
      { numRuns: RUNS * 3 },
    );
    fc.assert(
      fc.property(hostile, (path) => {
        try {
          const room = roomFromPath(path);
          assert.ok(!room.includes('/') && !room.startsWith('.'));
        } catch (e) {
          assert.ok(e instanceof NameError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('slash commands answer anything with events or a protocol error, and log only well-formed events', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tailroom-fuzz-cmd-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    const cfg = loadConfig({ confPath: join(root, 'none.ini'), env: {}, overrides: { 'server.data_dir': root } });
    const names = ['dice', 'roll', 'me', 'nick', 'msg', 'who', 'color', 'help', 'zap', 'topic', 'kick', 'key', 'invite', 'op', 'deop', 'private'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), hostile, async (name, args) => {
        const logged: NewRoomEvent[] = [];
        const ctx: CommandContext = {
          room: 'lobby',
          me: () => ({ name: 'alice', color: '#000000' }),
          users: () => [{ name: 'alice', color: '#000000' }],
          present: () => [{ name: 'alice', color: '#000000' }],
          logEvent: async (e) => void logged.push(e),
          info: () => undefined,
          setColor: async () => undefined,
          whisper: async () => {
            throw new ProtocolError('no_such_user', 'nobody');
          },
          rename: async (wanted) => validateUserName(wanted),
          d: dataDir(root),
          cfg,
          proved: () => undefined,
          operator: () => false,
          send: () => undefined,
          deliver: async () => {
            throw new ProtocolError('no_such_user', 'nobody');
          },
          kick: async () => {
            throw new ProtocolError('no_such_user', 'nobody');
          },
          takePrivateRoom: () => true,
        };
        const parsed = parseCommand(`/${name} ${args}`);
        if (!parsed) return;
        try {
          await runCommand(ctx, parsed.name, parsed.args);
        } catch (e) {
          assert.ok(e instanceof ProtocolError || e instanceof NameError, `unexpected ${(e as Error).stack}`);
          assert.equal(logged.length, 0, 'an error logs nothing');
          return;
        }
        for (const e of logged) {
          const ev = e as RoomEvent;
          assert.ok(['msg', 'me', 'roll', 'color', 'nick'].includes(ev.type));
          if (ev.type === 'roll') assert.ok(ev.rolls.length <= 200 && Number.isFinite(ev.total));
        }
      }),
      { numRuns: RUNS },
    );
  });

  describe('page query strings', () => {
    let root: string;
    let sentinel: string;
    before(() => {
      sentinel = mkdtempSync(join(tmpdir(), 'tailroom-fuzz-'));
      root = join(sentinel, 'data');
      mkdirSync(join(root, 'rooms'), { recursive: true });
    });
    after(() => rmSync(sentinel, { recursive: true, force: true }));

    for (const [label, handler, method] of [
      ['history', historyPage, 'GET'],
      ['rooms', roomsPage, 'GET'],
      ['settings', settingsPage, 'POST'],
    ] as const) {
      it(`the ${label} page answers any query with a page, never a crash or a file outside the data dir`, async () => {
        const cfg = loadConfig({ confPath: '/nonexistent/chat.ini', overrides: { 'server.data_dir': root }, env: {} });
        await fc.assert(
          fc.asyncProperty(
            fc.dictionary(fc.constantFrom('room', 'q', 'before', 'page', 'joins', 'name', 'color', 'csrf'), hostile, { maxKeys: 4 }),
            hostile,
            async (params, raw) => {
              const query = new URLSearchParams(params).toString() + (raw ? `&${encodeURIComponent(raw)}=${encodeURIComponent(raw)}` : '');
              const logs: string[] = [];
              const out = await respond(handler, {
                env: { REQUEST_METHOD: method, QUERY_STRING: query, CONTENT_LENGTH: String(Buffer.byteLength(query)) },
                readBody: () => Buffer.from(query),
                config: cfg,
                log: (l) => logs.push(l),
              });
              const status = Number(/^Status: (\d+)/m.exec(out)?.[1] ?? 200);
              assert.ok(status < 500, `status ${status} for ${query}: ${logs.join(' ')}`);
              assert.ok(!/\n\s+at .+:\d+:\d+/.test(out), 'a stack trace reached the browser');
              assert.deepEqual(readdirSync(sentinel), ['data'], 'something was written outside the data dir');
            },
          ),
          { numRuns: RUNS },
        );
      });
    }
  });
});
