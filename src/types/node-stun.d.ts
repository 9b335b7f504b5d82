// npm node-stun 0.1.2 ships no types: the part of its server tailroom uses.
declare module 'node-stun' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:dgram';

  interface Address {
    host: string;
    port: number | string;
  }
  interface StunServer extends EventEmitter {
    listen(): void;
    close(): void;
    /** Its four UDP sockets (primary/secondary address × port, port + 1), made by listen(). */
    _sockets: Socket[];
    on(event: 'log', listener: (log: { level: 'debug' | 'info' | 'warn' | 'error'; message: string }) => void): this;
  }
  export function createServer(config: { primary: Address; secondary: Address }): StunServer;
}
