import type { Command } from './types.js';

export const who: Command = {
  names: ['who'],
  usage: '/who',
  summary: 'who is in the room (only you see the answer)',
  async run(ctx) {
    const users = ctx.present();
    ctx.info(`in ${ctx.room} (${users.length}): ${users.map((u) => u.name).join(', ')}`);
  },
};
