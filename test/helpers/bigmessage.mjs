#!/usr/bin/env node
// A hostile client and a bystander, for the message size limit test.
//   bigmessage.mjs URL --mb N [--chunk-kb K]
// One connection sends a single WebSocket message of N MB in fragments of K KB (waiting
// for its socket to drain, so the client itself stays small) until it is closed or done.
// Meanwhile a second connection to the same room sends "tick i" every 250 ms (under the rate limit) and counts
// its own ticks coming back. Prints one JSON line: {closeCode, sentBytes, ticksSent, ticksBack}.
import WebSocket from 'ws';

const argv = process.argv.slice(2);
const url = argv.shift();
let mb = 512;
let chunkKb = 1024;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--mb') mb = Number(argv[++i]);
  else if (argv[i] === '--chunk-kb') chunkKb = Number(argv[++i]);
}
const total = mb * 1024 * 1024;
const chunk = Buffer.alloc(chunkKb * 1024, 'a');
const opened = (ws) =>
  new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const bystander = new WebSocket(url);
await opened(bystander);
let ticksSent = 0;
let ticksBack = 0;
bystander.on('message', (data) => {
  if (/"text":"tick \d+"/.test(data.toString())) ticksBack++;
});
const ticker = setInterval(() => {
  if (bystander.readyState !== WebSocket.OPEN) return;
  bystander.send(JSON.stringify({ type: 'msg', text: `tick ${ticksSent++}` }));
}, 250);

const attacker = new WebSocket(url);
await opened(attacker);
const closed = new Promise((resolve) => attacker.once('close', (code) => resolve(code)));
let closeCode;
closed.then((c) => {
  closeCode = c;
});
let sentBytes = 0;
// The first byte must be a message the handler would accept if it ever arrived whole.
const head = Buffer.from('{"type":"msg","text":"');
attacker.send(head, { fin: false });
sentBytes += head.length;
const deadline = Date.now() + 120000;
while (sentBytes < total && closeCode === undefined && attacker.readyState === WebSocket.OPEN && Date.now() < deadline) {
  attacker.send(chunk, { fin: false });
  sentBytes += chunk.length;
  while (attacker.bufferedAmount > 4 * chunk.length && closeCode === undefined) await sleep(5);
}
if (attacker.readyState === WebSocket.OPEN) attacker.send(Buffer.from('"}'), { fin: true });
await Promise.race([closed, sleep(10000)]);
// The bystander goes on for a while after the attack.
await sleep(2500);
clearInterval(ticker);
await sleep(500);
console.log(JSON.stringify({ closeCode: closeCode ?? null, sentBytes, ticksSent, ticksBack }));
bystander.close();
attacker.terminate();
process.exit(0);
