#!/usr/bin/env node
// Kills handlers in the middle of their leave, for test/e2e/lifecycle.bats.
//   leave-stress.mjs URL DATADIR COUNT BATCH
// COUNT clients, BATCH at a time: each connects to the lobby, waits for its welcome,
// reads its handler's pid from the presence info, hangs up, and SIGKILLs that handler
// a random 0-300 ms later. Prints how many were killed while still running; exits 1
// if any client was refused its join.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const [url, data, count, batch] = process.argv.slice(2);
const total = Number(count);
const perBatch = Number(batch);

function handlerPid(name) {
  const info = JSON.parse(readFileSync(`${data}/users/lobby/${name}/info`, 'utf8'));
  return info.pid;
}

function one() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/lobby`, { origin: url.replace(/^ws/, 'http') });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no welcome within 30 s'));
    }, 30000);
    const got = [];
    let welcomed = false;
    ws.on('error', reject);
    ws.on('close', () => {
      if (welcomed) return;
      clearTimeout(timer);
      console.error(`refused: ${got.join(' ')}`);
      resolve('refused');
    });
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      got.push(raw.toString());
      if (m.type !== 'welcome') return;
      welcomed = true;
      clearTimeout(timer);
      const pid = handlerPid(m.you.name);
      // Dropped, not closed politely: websocketd closes the handler's stdin at once.
      ws.terminate();
      setTimeout(() => {
        let killed = 'finished';
        try {
          // Only our data dir's handler: a pid freed meanwhile may be someone else's.
          if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(data)) throw new Error('not ours');
          process.kill(pid, 'SIGKILL');
          killed = 'killed';
        } catch {
          /* it had finished already */
        }
        resolve(killed);
      }, Math.random() * 300);
    });
  });
}

const outcomes = { killed: 0, finished: 0, refused: 0 };
for (let done = 0; done < total; done += perBatch) {
  const n = Math.min(perBatch, total - done);
  for (const o of await Promise.all(Array.from({ length: n }, () => one()))) outcomes[o]++;
}
console.log(`${total} clients: ${outcomes.killed} handlers killed while still running, ${outcomes.finished} done before, ${outcomes.refused} refused a join`);
process.exit(outcomes.refused ? 1 : 0);
