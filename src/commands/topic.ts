import { readRoomSettings, topicProblem } from '../store/roomsettings.js';
import { ProtocolError } from '../shared/protocol.js';
import { changeSettings, requireOperator } from './operators.js';
import type { Command } from './types.js';

export const topic: Command = {
  names: ['topic'],
  usage: '/topic [TEXT | --clear]',
  summary: "show the room's topic; operators: set it (or clear it), for everyone",
  async run(ctx, args) {
    if (args === '') {
      const now = readRoomSettings(ctx.d, ctx.room).settings.topic;
      return ctx.info(now ? `the topic of ${ctx.room}: ${now}` : `${ctx.room} has no topic`);
    }
    requireOperator(ctx, 'setting the topic');
    const text = args === '--clear' ? '' : args;
    const problem = topicProblem(text);
    if (problem) throw new ProtocolError('bad_request', `a topic is ${problem}`);
    await changeSettings(ctx, (s) => {
      if (text) s.topic = text;
      else delete s.topic;
    });
    await ctx.logEvent({ type: 'topic', from: ctx.me().name, text });
  },
};
