#!/usr/bin/env node
// A scriptable WebSocket client for the end-to-end tests.
//   ws.mjs URL [--cookie C] [--origin O] [--timeout MS] [--out FILE] STEP...
//          [--header 'Name: value']... [--local-address IP] (connect from that loopback address)
// Steps run in order: --send LINE | --wait REGEX | --sleep MS | --hold (until stdin EOF)
//   | --stall (stop reading from the socket, like a client on a dead network)
// Every received message is printed as one line (and appended to --out FILE).
// Exit 0 when all steps passed, 1 when a --wait timed out, 3 when the connection failed.
import { appendFileSync } from 'node:fs';
import WebSocket from 'ws';

const argv = process.argv.slice(2);
const url = argv.shift();
let cookie,
  origin,
  out,
  localAddress,
  timeout = 5000;
const headers = {};
const steps = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--cookie') cookie = argv[++i];
  else if (a === '--origin') origin = argv[++i];
  else if (a === '--timeout') timeout = Number(argv[++i]);
  else if (a === '--out') out = argv[++i];
  else if (a === '--local-address') localAddress = argv[++i];
  else if (a === '--header') {
    const h = argv[++i];
    const c = h.indexOf(':');
    headers[h.slice(0, c).trim()] = h.slice(c + 1).trim();
  } else if (['--send', '--wait', '--sleep'].includes(a)) steps.push([a.slice(2), argv[++i]]);
  else if (a === '--hold') steps.push(['hold']);
  else if (a === '--stall') steps.push(['stall']);
  else {
    console.error(`ws.mjs: unknown argument ${a}`);
    process.exit(2);
  }
}

if (cookie) headers.Cookie = cookie;
// Browsers always send one: the page's own origin, taken here from the URL.
origin ??= new URL(url.replace(/^ws/i, 'http')).origin;
const ws = new WebSocket(url, { headers, origin, localAddress });
const received = [];
let waiter;
ws.on('message', (data) => {
  const line = data.toString();
  received.push(line);
  process.stdout.write(`${line}\n`);
  if (out) appendFileSync(out, `${line}\n`);
  waiter?.();
});
const opened = new Promise((resolve, reject) => {
  ws.on('open', resolve);
  ws.on('error', reject);
  ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
});
const closed = new Promise((resolve) => ws.on('close', resolve));

function waitFor(re) {
  let seen = 0;
  return new Promise((resolve, reject) => {
    const check = () => {
      for (; seen < received.length; seen++)
        if (re.test(received[seen])) {
          waiter = undefined;
          clearTimeout(t);
          resolve();
          return;
        }
    };
    const t = setTimeout(() => {
      waiter = undefined;
      reject(new Error(`timed out waiting for ${re}`));
    }, timeout);
    waiter = check;
    check();
    closed.then(() => {
      if (waiter === check) {
        clearTimeout(t);
        reject(new Error(`closed while waiting for ${re}`));
      }
    });
  });
}

try {
  await opened;
} catch (e) {
  console.error(`ws.mjs: ${e.message}`);
  process.exit(3);
}
try {
  for (const [kind, arg] of steps) {
    if (kind === 'send') ws.send(arg);
    else if (kind === 'wait') await waitFor(new RegExp(arg));
    else if (kind === 'sleep') await new Promise((r) => setTimeout(r, Number(arg)));
    else if (kind === 'stall')
      ws._socket.pause(); // stop reading: a slow client
    else if (kind === 'hold')
      await new Promise((r) => {
        process.stdin.on('end', r).on('close', r).resume();
        closed.then(r);
      });
  }
} catch (e) {
  console.error(`ws.mjs: ${e.message}`);
  ws.terminate();
  process.exit(1);
}
ws.close();
await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
process.exit(0);
