// `tailroom connect URL|ROOM`: a terminal chat client. Lines typed are messages (and
// slash commands); what the room says is printed as the original's text lines. The
// same as `websocat ws://…/ROOM?format=text`, without needing websocat.

import { createInterface, clearLine, cursorTo } from 'node:readline';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import WebSocket from 'ws';
import type { Config } from '../config.js';
import { dataDir } from '../store/datadir.js';
import { formatText, type ServerMessage } from '../shared/protocol.js';
import { safeLines } from '../shared/text.js';
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
}

/** Under the server's idle timeout (120 s by default), like the browser's 25 s ping. */
const PING_MS = 25000;
/** After the last typed line, time for the answers to it (an error, the echo) to arrive. */
const LINGER_MS = 300;
/** Piped input ended before the server said anything: how long to wait for its first word. */
const FIRST_WORD_MS = 5000;

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

/** One received frame as a line for the terminal. */
export function renderFrame(frame: string): string | undefined {
  let m: ServerMessage;
  try {
    m = JSON.parse(frame) as ServerMessage;
  } catch {
    return safeLines(frame); // a server in ?format=text mode already speaks lines (but any URL may be anyone's)
  }
  if (typeof m !== 'object' || m === null || typeof m.type !== 'string' || m.type === 'pong') return undefined;
  return formatText(m);
}

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
      .example('$0 connect lobby --name admin', 'join the lobby of the local server as "admin"')
      .example("printf '/who\\n' | $0 connect lobby", 'one command from a script') as Argv<ConnectArgs>,
  handler: async (args: ArgumentsCamelCase<ConnectArgs>) => {
    const { cfg } = configFrom(args, { 'server.host': args.host, 'server.port': args.port });
    const url = connectUrl(cfg, args.target);
    if (args.name !== undefined && args.cookie !== undefined) throw new UsageError('give --name or --cookie, not both');
    let cookie = args.cookie;
    if (args.name !== undefined) {
      const id = newSessionId();
      const now = new Date().toISOString();
      writeSession(dataDir(cfg.dataDir), id, { name: userArg(args.name), color: '', created: now, seen: now });
      cookie = `${SESSION_COOKIE}=${id}`;
    }

    const origin = args.origin ?? connectOrigin(cfg, url);
    const ws = new WebSocket(url, { origin, headers: cookie ? { Cookie: cookie } : {} });
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

    let quitting = false;
    const code = await new Promise<number>((resolve) => {
      let opened = false;
      // The socket opens before websocketd has started the handler: until its first
      // message, nobody has read our lines yet.
      let heard = false;
      let onHeard: (() => void) | undefined;
      const ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"type":"ping"}'), PING_MS);
      const quit = () => {
        if (quitting) return;
        quitting = true;
        // Let the last lines reach the server and its answers come back, then hang up.
        let hungUp = false;
        const hangUp = () => {
          if (hungUp) return;
          hungUp = true;
          setTimeout(() => ws.close(1000), LINGER_MS);
        };
        if (heard) return hangUp();
        onHeard = hangUp;
        setTimeout(hangUp, FIRST_WORD_MS).unref();
      };
      ws.on('open', () => {
        opened = true;
        rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
        rl.setPrompt('> ');
        if (tty) rl.prompt();
        rl.on('line', (line) => {
          if (line === '/quit') return quit();
          if (line.trim() !== '' && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'msg', text: line }));
          if (tty) rl?.prompt();
        });
        rl.on('close', quit);
      });
      ws.on('message', (data) => {
        if (!heard) {
          heard = true;
          onHeard?.();
        }
        const line = renderFrame(data.toString());
        if (line !== undefined) print(line);
      });
      ws.on('unexpected-response', (_req, res) => {
        const hint = res.statusCode === 403 ? ` (Origin ${origin} is not allowed: give --origin, or set server.public_url)` : '';
        process.stderr.write(`tailroom: ${url}: HTTP ${res.statusCode}${hint}\n`);
        ws.terminate();
      });
      ws.on('error', (e) => {
        if (!opened) process.stderr.write(`tailroom: cannot connect to ${url}: ${e.message}\n`);
      });
      ws.on('close', (status) => {
        clearInterval(ping);
        if (!opened) return resolve(1);
        if (!quitting) print(`*** disconnected${status === 1006 ? ' (connection lost)' : ''}`);
        resolve(quitting || status === 1000 ? 0 : 1);
      });
    });
    rl?.close();
    process.stdin.destroy();
    process.exitCode = code;
  },
};
