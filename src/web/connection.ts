// The WebSocket to the room handler: connect, ping, and after a drop reconnect with
// backoff, resuming with ?since=<last room event id> so nothing is missed or doubled.

import { type ClientMessage, type Limits, ROOM_EVENT_TYPES, type ServerMessage } from '../shared/protocol.js';
import { backoffMs } from '../shared/reconnect.js';

export type ConnState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'online' }
  | { kind: 'waiting'; until: number; attempt: number }
  | { kind: 'offline' }
  | { kind: 'stopped'; reason: string };

export interface ConnectionEvents {
  message(m: ServerMessage): void;
  state(s: ConnState): void;
}

export class Connection {
  private ws: WebSocket | undefined;
  private lastId: string | undefined;
  private attempt = 0;
  private retryTimer: number | undefined;
  private pingTimer: number | undefined;
  private lastHeard = 0;
  private stopReason: string | undefined;
  private wanted = false;
  state: ConnState = { kind: 'offline' };

  constructor(
    /** The room's WebSocket URL, with ?since= when resuming. */
    private readonly urlFor: (since: string | undefined) => string,
    private readonly on: ConnectionEvents,
  ) {
    addEventListener('online', () => {
      if (this.state.kind === 'waiting') this.open();
    });
  }

  get online(): boolean {
    return this.state.kind === 'online';
  }

  start(): void {
    this.wanted = true;
    this.stopReason = undefined;
    this.attempt = 0;
    this.open();
  }

  /** The disconnect button: close and stay closed. */
  stop(): void {
    this.wanted = false;
    this.hangUp();
    this.setState({ kind: 'offline' });
  }

  retryNow(): void {
    if (this.state.kind === 'waiting') this.open();
  }

  send(m: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || this.state.kind !== 'online') return false;
    this.ws.send(JSON.stringify(m));
    return true;
  }

  private setState(s: ConnState): void {
    this.state = s;
    this.on.state(s);
  }

  private hangUp(): void {
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
  }

  private open(): void {
    this.hangUp();
    this.setState({ kind: 'connecting', attempt: this.attempt });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.urlFor(this.lastId));
    } catch {
      this.dropped();
      return;
    }
    this.ws = ws;
    this.lastHeard = Date.now();
    ws.onmessage = (ev) => {
      if (ws !== this.ws || typeof ev.data !== 'string') return;
      this.lastHeard = Date.now();
      let m: ServerMessage;
      try {
        m = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      if (typeof m !== 'object' || m === null || typeof m.type !== 'string') return;
      if (m.type === 'welcome') {
        this.attempt = 0;
        this.setState({ kind: 'online' });
        this.startPing(m.limits);
      }
      if (ROOM_EVENT_TYPES.has(m.type) && 'id' in m && typeof m.id === 'string') this.lastId = m.id;
      // Kicked or removed: coming straight back would only be kicked again.
      if (m.type === 'error' && m.code === 'forbidden') this.stopReason = m.message;
      this.on.message(m);
    };
    ws.onclose = () => {
      if (ws === this.ws) this.dropped();
    };
  }

  private dropped(): void {
    clearInterval(this.pingTimer);
    this.ws = undefined;
    if (!this.wanted) {
      this.setState({ kind: 'offline' });
      return;
    }
    if (this.stopReason !== undefined) {
      this.wanted = false;
      this.setState({ kind: 'stopped', reason: this.stopReason });
      return;
    }
    const wait = backoffMs(this.attempt);
    this.attempt++;
    this.setState({ kind: 'waiting', until: Date.now() + wait, attempt: this.attempt });
    this.retryTimer = window.setTimeout(() => this.open(), wait);
  }

  /** Ping well inside the server's idle timeout; a socket silent for two rounds is dead. */
  private startPing(limits: Limits | undefined): void {
    clearInterval(this.pingTimer);
    const idle = limits && limits.idleTimeoutSec > 0 ? (limits.idleTimeoutSec * 1000) / 3 : 25000;
    const every = Math.max(1000, Math.min(25000, idle));
    this.pingTimer = window.setInterval(() => {
      if (Date.now() - this.lastHeard > every * 2 + 5000) {
        const ws = this.ws;
        this.ws = undefined;
        ws?.close();
        return this.dropped();
      }
      this.send({ type: 'ping' });
    }, every);
  }
}
