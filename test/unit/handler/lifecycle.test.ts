import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { editMessage, type LifecycleContext } from '../../../src/handler/lifecycle.js';
import { ProtocolError } from '../../../src/shared/protocol.js';
import { dataDir } from '../../../src/store/datadir.js';
import { newEventId } from '../../../src/store/eventid.js';
import type { NewRoomEvent } from '../../../src/store/roomlog.js';

describe('chat.edit_window_min: how long a message stays editable', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-lifecycle-'));
    mkdirSync(join(root, 'rooms'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function sentAgo(ms: number): string {
    const at = Date.now() - ms;
    const id = newEventId(at);
    const line = JSON.stringify({ id, t: new Date(at).toISOString(), type: 'msg', from: 'alice', color: '#000000', text: 'old' });
    writeFileSync(join(root, 'rooms', 'lobby.log'), `${line}\n`);
    return id;
  }
  const ctx = (windowMin: number, logged: NewRoomEvent[]): LifecycleContext => ({
    d: dataDir(root),
    room: 'lobby',
    me: 'alice',
    editWindowMs: windowMin * 60_000,
    lookbackBytes: 1 << 20,
    mayDeleteOthers: () => false,
    log: async (e) => void logged.push(e),
  });

  it('refuses an edit past the window with forbidden, logging nothing; 0 means any time', async () => {
    const id = sentAgo(10 * 60_000);
    const logged: NewRoomEvent[] = [];
    await assert.rejects(editMessage(ctx(5, logged), id, { text: 'new' }), (e) => e instanceof ProtocolError && e.code === 'forbidden');
    assert.deepEqual(logged, []);
    await editMessage(ctx(0, logged), id, { text: 'new' });
    await editMessage(ctx(15, logged), id, { text: 'newer' });
    assert.deepEqual(
      logged.map((e) => (e as { text?: string }).text),
      ['new', 'newer'],
    );
  });
});
