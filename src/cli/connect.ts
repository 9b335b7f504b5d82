// `tailroom connect URL|ROOM`: a terminal chat client. Lines typed are messages (and
// slash commands); what the room says is printed as the original's text lines. The
// same as `websocat ws://…/ROOM?format=text`, without needing websocat, and like the
// browser it comes back by itself after a drop, resuming from the last event it saw.

import { createInterface, clearLine, cursorTo } from 'node:readline';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import WebSocket from 'ws';
import type { Config } from '../config.js';
import { dataDir } from '../store/datadir.js';
import { formatText, ROOM_EVENT_TYPES, type ServerMessage } from '../shared/protocol.js';
import { safeLines } from '../shared/text.js';
import { backoffMs } from '../shared/reconnect.js';
import { serverUrl } from '../launch/websocketd.js';
import { newSessionId, SESSION_COOKIE, writeSession } from '../store/sessions.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { roomArg, UsageError, userArg } from './roomarg.js';

interface ConnectArgs extends CommonArgs {
  target: string;
  name?: string;
  cookie?: string;
  origin?: string;
  host?: string;
  port?: number;
  retries: number;
}

/** Under the server's idle timeout (120 s by default), like the browser's 25 s ping. */
const PING_MS = 25000;
/** After the last typed line, time for the answers to it (an error, the echo) to arrive. */
const LINGER_MS = 300;
/** Piped input ended before the server said anything: how long to wait for its first word. */
const FIRST_WORD_MS = 5000;
/** Reconnect attempts in a row before giving up: at up to 30 s apart, about a quarter of an hour. */
const RETRIES = 30;
/** Room event ids remembered, so a resumed replay never prints an event twice. */
const SEEN_IDS = 5000;

/** The URL to come back to: the same, asking for every event after `since`. */
export function resumeUrl(url: string, since: string | undefined): string {
  if (since === undefined) return url;
  const u = new URL(url);
  u.searchParams.set('since', since);
  return u.href;
}

/** ?format=text frames carry no event ids: a resumed stream could not be told from a repeat. */
function isTextMode(url: string): boolean {
  return new URL(url).searchParams.get('format') === 'text';
}

/** A ws:// URL for a room on this server, or the URL given (http(s) taken as ws(s)). */
export function connectUrl(cfg: Config, target: string): string {
  if (/^(wss?|https?):\/\//i.test(target)) return target.replace(/^http/i, 'ws');
  return new URL(encodeURIComponent(roomArg(target)), serverUrl(cfg)).href.replace(/^http/i, 'ws');
}

/**
 * The Origin a browser on this chat would send: the site's (server.public_url), else the
 * server's own. websocketd checks it against an allow-list (server.origin) when one is set.
 */
export function connectOrigin(cfg: Config, url: string): string {
  return new URL(cfg.server.public_url || url.replace(/^ws/i, 'http')).origin;
}

/** A frame as a message, or as the line it already is (a server in ?format=text mode). */
function parseFrame(frame: string): ServerMessage | string | undefined {
  let m: ServerMessage;
  try {
    m = JSON.parse(frame) as ServerMessage;
  } catch {
    return safeLines(frame); // a server in ?format=text mode already speaks lines (but any URL may be anyone's)
  }
  if (typeof m !== 'object' || m === null || typeof m.type !== 'string') return undefined;
  return m;
}

/** One received frame as a line for the terminal. */
export function renderFrame(frame: string): string | undefined {
  const m = parseFrame(frame);
  if (typeof m !== 'object') return m;
  return m.type === 'pong' ? undefined : formatText(m);
}

const seconds = (ms: number) => (ms < 10000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000)));

export const connect: CommandModule<object, ConnectArgs> = {
  command: 'connect <target>',
  describe: 'chat from the terminal: a room of this server, or any ws:// URL',
  builder: (y: Argv) =>
    withCommon(y)
      .positional('target', { type: 'string', demandOption: true, describe: 'room name, or ws://host:port/room' })
      .option('name', { type: 'string', describe: 'chat as NAME: writes a session into the data dir (the server must share it)' })
      .option('host', { type: 'string', describe: 'server address for a ROOM target (server.host)' })
      .option('port', { alias: 'p', type: 'number', describe: 'server port for a ROOM target (server.port)' })
      .option('cookie', { type: 'string', describe: 'Cookie header to send, e.g. tailroom_session=…' })
      .option('origin', { type: 'string', describe: "Origin header to send (default: server.public_url, else the URL's own)" })
      .option('retries', { type: 'number', default: RETRIES, describe: 'after a drop, reconnect attempts in a row before giving up (0: never reconnect)' })
      .example('$0 connect lobby --name admin', 'join the lobby of the local server as "admin"')
      .example("printf '/who\\n' | $0 connect lobby", 'one command from a script') as Argv<ConnectArgs>,
  handler: async (args: ArgumentsCamelCase<ConnectArgs>) => {
    const { cfg } = configFrom(args, { 'server.host': args.host, 'server.port': args.port });
    const url = connectUrl(cfg, args.target);
    if (args.name !== undefined && args.cookie !== undefined) throw new UsageError('give --name or --cookie, not both');
    if (!(Number.isInteger(args.retries) && args.retries >= 0)) throw new UsageError('--retries wants a whole number, 0 or more');
    let cookie = args.cookie;
    if (args.name !== undefined) {
      const id = newSessionId();
      const now = new Date().toISOString();
      writeSession(dataDir(cfg.dataDir), id, { name: userArg(args.name), color: '', created: now, seen: now });
      cookie = `${SESSION_COOKIE}=${id}`;
    }
    const retries = isTextMode(url) ? 0 : args.retries;

    const origin = args.origin ?? connectOrigin(cfg, url);
    const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    // Made once the socket is open: piped lines read before would have nowhere to go.
    let rl: ReturnType<typeof createInterface> | undefined;
    const print = (line: string) => {
      if (rl && tty) {
        clearLine(process.stdout, 0);
        cursorTo(process.stdout, 0);
      }
      process.stdout.write(`${line}\n`);
      if (rl && tty) rl.prompt(true);
    };

    // Kept across connections: where to resume from, and what was printed already.
    let lastId: string | undefined;
    const seen = new Set<string>();
    let welcomed = false;
    let attempt = 0;
    // Kicked or removed: coming straight back would only be kicked again.
    let stopReason: string | undefined;
    let quitting = false;
    const code = await new Promise<number>((resolve) => {
      let ws: WebSocket | undefined;
      let retryTimer: NodeJS.Timeout | undefined;
      // The socket opens before websocketd has started the handler: until its first
      // message, nobody has read our lines yet.
      let heard = false;
      let onHeard: (() => void) | undefined;
      let finished = false;
      const finish = (c: number) => {
        if (finished) return;
        finished = true;
        clearTimeout(retryTimer);
        resolve(c);
      };
      const quit = () => {
        if (quitting) return;
        quitting = true;
        const sock = ws;
        if (!sock) return finish(0); // between two attempts: nothing to hang up
        // Let the last lines reach the server and its answers come back, then hang up.
        let hungUp = false;
        const hangUp = () => {
          if (hungUp) return;
          hungUp = true;
          setTimeout(() => sock.close(1000), LINGER_MS);
        };
        if (heard) return hangUp();
        onHeard = hangUp;
        setTimeout(hangUp, FIRST_WORD_MS).unref();
      };
      /** Prints what the frame says, once; returns its type. */
      const onFrame = (frame: string): string | undefined => {
        const m = parseFrame(frame);
        if (m === undefined) return;
        if (typeof m === 'string') return void print(m);
        if (m.type === 'welcome') {
          if (welcomed) print('*** reconnected');
          welcomed = true;
          attempt = 0;
        }
        if (m.type === 'error' && m.code === 'forbidden') stopReason = m.message;
        if (ROOM_EVENT_TYPES.has(m.type) && 'id' in m && typeof m.id === 'string') {
          if (seen.has(m.id)) return m.type;
          seen.add(m.id);
          if (seen.size > SEEN_IDS) seen.delete(seen.values().next().value as string);
          lastId = m.id;
        }
        if (m.type !== 'pong') print(formatText(m));
        return m.type;
      };
      const open = () => {
        const sock = new WebSocket(resumeUrl(url, lastId), { origin, headers: cookie ? { Cookie: cookie } : {} });
        ws = sock;
        heard = false;
        onHeard = undefined;
        let opened = false;
        let online = false;
        let refused = false;
        let lastHeard = Date.now();
        const ping = setInterval(() => {
          // Silent for two rounds: a network that vanished, which TCP would take minutes to notice.
          if (Date.now() - lastHeard > PING_MS * 2 + 5000) return sock.terminate();
          if (sock.readyState === WebSocket.OPEN) sock.send('{"type":"ping"}');
        }, PING_MS);
        sock.on('open', () => {
          opened = true;
          if (rl) return;
          rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
          rl.setPrompt('> ');
          if (tty) rl.prompt();
          rl.on('line', (line) => {
            if (line === '/quit') return quit();
            if (line.trim() !== '') {
              if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'msg', text: line }));
              else print('*** not connected: not sent');
            }
            if (tty) rl?.prompt();
          });
          rl.on('close', quit);
        });
        sock.on('message', (data) => {
          lastHeard = Date.now();
          if (!heard) {
            heard = true;
            onHeard?.();
          }
          if (onFrame(data.toString()) === 'welcome') online = true;
        });
        sock.on('unexpected-response', (_req, res) => {
          const hint = res.statusCode === 403 ? ` (Origin ${origin} is not allowed: give --origin, or set server.public_url)` : '';
          process.stderr.write(`tailroom: ${url}: HTTP ${res.statusCode}${hint}\n`);
          // 429 is websocketd over --maxforks: a busy server, worth another try later.
          const status = res.statusCode ?? 0;
          refused = status >= 400 && status < 500 && status !== 429;
          sock.terminate();
        });
        sock.on('error', (e) => {
          if (!opened && !welcomed) process.stderr.write(`tailroom: cannot connect to ${url}: ${e.message}\n`);
        });
        sock.on('close', (status) => {
          clearInterval(ping);
          if (sock !== ws) return;
          ws = undefined;
          // A first connection that never got going, or one we may not resume: it ends here.
          if (!welcomed || retries === 0 || stopReason !== undefined || refused) {
            if (!opened) return finish(1);
            // websocketd closes with 1006 whenever the handler exits: after a kick, not "lost".
            if (!quitting) print(`*** disconnected${status === 1006 && stopReason === undefined ? ' (connection lost)' : ''}`);
            return finish(quitting || status === 1000 ? 0 : 1);
          }
          if (quitting) return finish(0);
          if (online) print(`*** disconnected${status === 1006 ? ' (connection lost)' : ''}`);
          if (attempt >= retries) {
            print(`*** gave up after ${attempt} attempt(s) to reconnect`);
            return finish(1);
          }
          const wait = backoffMs(attempt);
          attempt++;
          print(`*** reconnecting in ${seconds(wait)} s`);
          retryTimer = setTimeout(open, wait);
        });
      };
      open();
    });
    rl?.close();
    process.stdin.destroy();
    process.exitCode = code;
  },
};
