// The STUN server on its own (`tailroom stun`) and beside the chat (`tailroom start`):
// what it answers, and that the chat does not depend on it.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ROOT, freeStunPort, startServer } from './harness.js';

/** One RFC 5389 Binding Request (magic cookie, no attributes), as browsers send. */
function bindingRequest(): { packet: Buffer; tid: Buffer } {
  const tid = randomBytes(12);
  const packet = Buffer.alloc(20);
  packet.writeUInt16BE(0x0001, 0);
  packet.writeUInt16BE(0, 2);
  packet.writeUInt32BE(0x2112a442, 4);
  tid.copy(packet, 8);
  return { packet, tid };
}

/** The attributes of a STUN message: type → value. */
function attributes(msg: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let at = 20;
  while (at + 4 <= msg.length) {
    const type = msg.readUInt16BE(at);
    const len = msg.readUInt16BE(at + 2);
    out.set(type, msg.subarray(at + 4, at + 4 + len));
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  return out;
}

function ask(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const { packet } = bindingRequest();
    const t = setTimeout(() => {
      s.close();
      reject(new Error('no STUN answer in 5 s'));
    }, 5000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(Buffer.concat([packet.subarray(0, 20), m]));
    });
    s.bind(0, '127.0.0.1', () => s.send(packet, port, '127.0.0.1'));
  });
}

describe('the STUN server', () => {
  let stun: ChildProcess | undefined;
  afterEach(() => {
    stun?.kill('SIGTERM');
    stun = undefined;
  });

  it('`tailroom stun` answers a browser’s binding request with the address it came from (MAPPED-ADDRESS, RFC 3489)', async () => {
    const port = await freeStunPort();
    const proc = spawn(process.execPath, [join(ROOT, 'dist', 'tailroom.mjs'), 'stun', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    stun = proc;
    let out = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
    for (let i = 0; i < 200 && !out.includes('STUN on udp'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(
      out,
      new RegExp(`STUN on udp 127\\.0\\.0\\.1:${port} \\(also 127\\.0\\.0\\.1:${port + 1}, 127\\.0\\.0\\.2:${port}, 127\\.0\\.0\\.2:${port + 1}\\)`),
    );
    const both = await ask(port);
    const request = both.subarray(0, 20);
    const answer = both.subarray(20);
    assert.equal(answer.readUInt16BE(0), 0x0101, 'a Binding Success Response');
    assert.deepEqual(answer.subarray(4, 20), request.subarray(4, 20), 'magic cookie and transaction id echoed');
    const attrs = attributes(answer);
    const mapped = attrs.get(0x0001);
    assert.ok(mapped, 'MAPPED-ADDRESS present');
    assert.equal(mapped.readUInt8(1), 1, 'IPv4');
    assert.equal([...mapped.subarray(4, 8)].join('.'), '127.0.0.1');
    assert.equal(attrs.has(0x0020), false, 'no XOR-MAPPED-ADDRESS: node-stun speaks RFC 3489 (Chromium reads MAPPED-ADDRESS)');
    assert.doesNotMatch(out, /Deprecation/);
  });

  it('`tailroom stun` refuses a port it cannot bind, with exit status 1', async () => {
    const port = await freeStunPort();
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind(port, '127.0.0.1', r));
    try {
      const child = spawn(process.execPath, [join(ROOT, 'dist', 'tailroom.mjs'), 'stun', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      assert.equal(code, 1);
      assert.match(err, /STUN cannot listen: bind EADDRINUSE 127\.0\.0\.1:\d+/);
    } finally {
      holder.close();
    }
  });

  it('the chat runs without STUN when its port is taken: `tailroom start` only warns', async function () {
    this.timeout(60000);
    const port = await freeStunPort();
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind(port, '127.0.0.1', r));
    const server = await startServer([], { stunPort: port, waitForStun: false });
    try {
      for (let i = 0; i < 200 && !server.output().includes('STUN server stopped'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(server.output(), /the STUN server stopped \(exit 1\); the chat runs without it/);
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/lobby`);
      const first = await new Promise<{ type: string; iceServers: { urls: string }[] }>((resolve, reject) => {
        ws.once('message', (d) => resolve(JSON.parse(d.toString())));
        ws.once('error', reject);
      });
      ws.close();
      assert.equal(first.type, 'welcome');
      assert.deepEqual(first.iceServers, [{ urls: `stun:127.0.0.1:${port}` }], 'the browser is told stun:<the host it used>:<port>');
    } finally {
      await server.stop();
      holder.close();
    }
  });
});
