// The benchmark's WebSocket clients, spread over worker threads. In production the
// clients are browsers on other machines; here they share the 2 cores with the server,
// and one thread parsing 100,000 frames a second would measure itself, not the server.
// Each worker keeps its clients' arrivals (bench message text → absolute time) and hands
// over what is new when asked; the main thread sees a Client per connection.

import { type MessagePort, parentPort, Worker } from 'node:worker_threads';
import WebSocket from 'ws';

/** Milliseconds on a clock every thread of this process shares. */
export const now = (): number => performance.timeOrigin + performance.now();

type ToWorker =
  | { op: 'connect'; id: number; url: string; timeoutMs: number }
  | { op: 'send'; id: number; data: string }
  | { op: 'flood'; id: number; until: number; prefix: string; window: number }
  | { op: 'close'; id: number }
  | { op: 'terminate'; id: number }
  | { op: 'take'; req: number };

type FromWorker =
  | { op: 'welcome'; id: number; name: string; welcomeAt: number }
  | { op: 'failed'; id: number; error: string }
  | { op: 'flooded'; id: number; sent: number }
  | { op: 'closed'; id: number }
  | { op: 'taken'; req: number; arrivals: [number, string, number][] };

export interface Client {
  readonly id: number;
  name: string;
  room: string;
  /** bench message text → arrival time (now()), as of the last pool.sync(). */
  received: Map<string, number>;
  welcomeAt: number;
  send(data: string): void;
  close(): Promise<void>;
  terminate(): void;
}

export class ClientPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, (m: FromWorker) => void>();
  private readonly clients = new Map<number, Client>();
  private nextId = 1;
  private nextReq = 1;

  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => {
      // `--import tsx` does not reach a worker on Node 20: register tsx in it, then load this file.
      const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); return import(${JSON.stringify(import.meta.url)}); })`;
      const w = new Worker(boot, { eval: true });
      w.on('message', (m: FromWorker) => {
        const key = m.op === 'taken' ? -m.req : m.id;
        const done = this.pending.get(key);
        this.pending.delete(key);
        done?.(m);
      });
      return w;
    });
  }

  /** The worker that holds client `id`. */
  private workerOf(id: number): Worker {
    const w = this.workers[id % this.workers.length];
    if (!w) throw new Error('a ClientPool needs at least one worker');
    return w;
  }

  private ask(w: Worker, key: number, msg: ToWorker): Promise<FromWorker> {
    return new Promise((resolve) => {
      this.pending.set(key, resolve);
      w.postMessage(msg);
    });
  }

  async connect(base: string, room: string, timeoutMs = 60000): Promise<Client> {
    const id = this.nextId++;
    const w = this.workerOf(id);
    const m = await this.ask(w, id, { op: 'connect', id, url: `${base}/${room}`, timeoutMs });
    if (m.op !== 'welcome') throw new Error(m.op === 'failed' ? m.error : 'no welcome');
    const c: Client = {
      id,
      name: m.name,
      room,
      received: new Map(),
      welcomeAt: m.welcomeAt,
      send: (data) => w.postMessage({ op: 'send', id, data } satisfies ToWorker),
      close: async () => void (await this.ask(w, id, { op: 'close', id })),
      terminate: () => w.postMessage({ op: 'terminate', id } satisfies ToWorker),
    };
    this.clients.set(id, c);
    return c;
  }

  /**
   * Send bursts of 20 until `until` (now()), with at most `window` bursts not yet back at
   * the sender: a closed loop measures what the server sustains, not how deep its queues
   * can grow. Resolves to how many were sent.
   */
  async flood(c: Client, until: number, prefix: string, window = 4): Promise<number> {
    const m = await this.ask(this.workerOf(c.id), c.id, { op: 'flood', id: c.id, until, prefix, window });
    return m.op === 'flooded' ? m.sent : 0;
  }

  /** Bring every Client's `received` up to date. */
  async sync(): Promise<void> {
    const replies = await Promise.all(
      this.workers.map((w) => {
        const req = this.nextReq++;
        return this.ask(w, -req, { op: 'take', req });
      }),
    );
    for (const r of replies) {
      if (r.op !== 'taken') continue;
      for (const [id, text, at] of r.arrivals) this.clients.get(id)?.received.set(text, at);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function serve(port: MessagePort): void {
  const sockets = new Map<number, WebSocket>();
  let arrivals: [number, string, number][] = [];
  /** Per client and flood prefix (`f3`): how many of that sender's lines came back to it. */
  const back = new Map<string, number>();
  const reply = (m: FromWorker) => port.postMessage(m);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  port.on('message', (m: ToWorker) => {
    switch (m.op) {
      case 'connect': {
        const started = now();
        const ws = new WebSocket(m.url);
        let welcomed = false;
        const timer = setTimeout(() => {
          reply({ op: 'failed', id: m.id, error: 'no welcome in time' });
          ws.terminate();
        }, m.timeoutMs);
        // The client shares the cores with the server: look at bytes, decode only what counts.
        ws.on('message', (data: Buffer) => {
          if (!welcomed) {
            const s = data.toString();
            if (!s.startsWith('{"type":"welcome"')) return;
            welcomed = true;
            clearTimeout(timer);
            sockets.set(m.id, ws);
            reply({ op: 'welcome', id: m.id, name: (JSON.parse(s) as { you: { name: string } }).you.name, welcomeAt: now() - started });
            return;
          }
          const i = data.indexOf('"text":"bench ');
          if (i === -1 || data.indexOf('"replay":true', i) !== -1) return;
          const text = data.toString('utf8', i + 8, data.indexOf(34, i + 8));
          arrivals.push([m.id, text, now()]);
          // `bench f3-41`: the 42nd line of sender f3; a sender's lines come back in order.
          const dash = text.lastIndexOf('-');
          if (dash > 6) back.set(`${m.id} ${text.slice(6, dash)}`, Number(text.slice(dash + 1)) + 1);
        });
        ws.on('error', (e) => {
          if (welcomed) return;
          clearTimeout(timer);
          reply({ op: 'failed', id: m.id, error: e.message });
        });
        break;
      }
      case 'send':
        sockets.get(m.id)?.send(m.data);
        break;
      case 'flood': {
        const ws = sockets.get(m.id);
        void (async () => {
          let sent = 0;
          // Counted among everyone's lines: only this sender's own tell how far it got.
          const returned = () => back.get(`${m.id} ${m.prefix}`) ?? 0;
          while (ws && now() < m.until) {
            for (let j = 0; j < 20; j++) ws.send(JSON.stringify({ type: 'msg', text: `bench ${m.prefix}-${sent++}` }));
            const giveUp = now() + 2000;
            while (sent - returned() >= m.window * 20 && now() < giveUp) await sleep(2);
          }
          reply({ op: 'flooded', id: m.id, sent });
        })();
        break;
      }
      case 'close': {
        const ws = sockets.get(m.id);
        sockets.delete(m.id);
        if (!ws || ws.readyState === WebSocket.CLOSED) {
          reply({ op: 'closed', id: m.id });
          break;
        }
        ws.once('close', () => reply({ op: 'closed', id: m.id }));
        ws.close();
        break;
      }
      case 'terminate':
        sockets.get(m.id)?.terminate();
        sockets.delete(m.id);
        break;
      case 'take':
        reply({ op: 'taken', req: m.req, arrivals });
        arrivals = [];
        break;
    }
  });
}

// In a worker thread (only there is there a parent port): serve the main thread's pool.
if (parentPort) serve(parentPort);
