/**
 * The middleware chain `createBot` assembles, through `bot.handleUpdate` with the Bot API captured:
 * the chat allowlist, the card buttons (unknown, stale, forbidden, decided), and the error boundary
 * (a throwing handler is logged and answered; `handleUpdate` resolves).
 */
import { describe, expect, it } from 'vitest';
import { callbackData } from '../../bot/callbacks.ts';
import { callbackUpdate, callsOf, messageUpdate, startTestBot } from '../support/bot-api.ts';
import { fakeAgent, PEOPLE } from './fakes.ts';

const CHAT = -1001;
const OTHER_CHAT = -2002;
const TOKEN = 'r7x2k9';

describe('chat allowlist', () => {
  it('drops a command from a chat that is not configured: no reply, the core is not asked, a warning is logged', async () => {
    const { agent, calls } = fakeAgent({ openIncidents: async () => [] });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const out = await t.send(messageUpdate(OTHER_CHAT, PEOPLE.alice, '/incidents'));
    expect(out).toEqual([]);
    expect(calls.openIncidents).toBeUndefined();
    expect(t.logs.filter((l) => l.level === 40)).toEqual([
      expect.objectContaining({ msg: 'update from a chat that is not configured; ignored', chatId: OTHER_CHAT, from: PEOPLE.alice.id }),
    ]);
  });

  it('answers a button pressed in a chat that is not configured, so the client stops spinning, and decides nothing', async () => {
    const { agent, calls } = fakeAgent();
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const out = await t.send(callbackUpdate(OTHER_CHAT, PEOPLE.alice, callbackData('approve', TOKEN)));
    expect(out.map((c) => [c.method, c.payload.text])).toEqual([['answerCallbackQuery', 'This chat is not configured for Watchkeeper.']]);
    expect(calls.decide).toBeUndefined();
  });

  it('lets a configured chat through', async () => {
    const { agent } = fakeAgent({ openIncidents: async () => [] });
    const t = await startTestBot({ agent, chatIds: [OTHER_CHAT, CHAT] });
    expect(callsOf(await t.send(messageUpdate(CHAT, PEOPLE.alice, '/incidents')), 'sendMessage')).toHaveLength(1);
  });
});

describe('card buttons', () => {
  it('answers callback data that is not Watchkeeper’s, or not a known verb, without asking the core', async () => {
    const { agent, calls } = fakeAgent();
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const foreign = await t.send(callbackUpdate(CHAT, PEOPLE.alice, 'something-else'));
    expect(foreign.map((c) => [c.method, c.payload.text])).toEqual([['answerCallbackQuery', 'Unknown button.']]);
    const unknownVerb = await t.send(callbackUpdate(CHAT, PEOPLE.alice, `wk:z:${TOKEN}`));
    expect(unknownVerb.map((c) => [c.method, c.payload.text])).toEqual([
      ['answerCallbackQuery', 'This button is not recognised; the card may be from an older version.'],
    ]);
    expect(Object.keys(calls).filter((k) => k !== 'roleOf')).toEqual([]);
  });

  it('a stale token: the press is answered with the reason and the card loses its buttons', async () => {
    const { agent, calls } = fakeAgent({ decide: async () => ({ kind: 'stale' }) });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const out = await t.send(callbackUpdate(CHAT, PEOPLE.bob, callbackData('approve', TOKEN), 55));
    expect(calls.decide).toEqual([[TOKEN, 'approve', { id: PEOPLE.bob.id, name: 'Bob' }]]);
    expect(out.map((c) => c.method)).toEqual(['answerCallbackQuery', 'editMessageReplyMarkup']);
    expect(out[0]!.payload).toMatchObject({ text: 'This card is no longer valid.', show_alert: false });
    expect(out[1]!.payload).toMatchObject({ chat_id: CHAT, message_id: 55 });
    expect(out[1]!.payload.reply_markup).toBeUndefined();
    expect(calls.refreshCards).toBeUndefined();
  });

  it('a forbidden user: the refusal is an alert, the card is left as it is', async () => {
    const { agent, calls } = fakeAgent({ decide: async () => ({ kind: 'forbidden', reason: 'not_an_approver' }) });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const out = await t.send(callbackUpdate(CHAT, PEOPLE.stranger, callbackData('reject', TOKEN)));
    expect(calls.decide).toEqual([[TOKEN, 'reject', { id: PEOPLE.stranger.id, name: 'Eve' }]]);
    expect(out.map((c) => [c.method, c.payload.text, c.payload.show_alert])).toEqual([
      ['answerCallbackQuery', '⛔ You are not on the approver list; nothing was changed.', true],
    ]);
    expect(calls.refreshCards).toBeUndefined();
  });

  it('a decision: the press is answered first, then the core refreshes the incident’s cards', async () => {
    const { agent, calls } = fakeAgent({ decide: async () => ({ kind: 'approved', incidentId: 12 }), refreshCards: async () => {} });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const out = await t.send(callbackUpdate(CHAT, PEOPLE.alice, callbackData('approve', TOKEN)));
    expect(out.map((c) => [c.method, c.payload.text])).toEqual([['answerCallbackQuery', '✅ Approved — executing now.']]);
    expect(calls.refreshCards).toEqual([[12]]);
  });

  it('the Silence menu is refused to a viewer and shown to an approver', async () => {
    const { agent } = fakeAgent();
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const viewer = await t.send(callbackUpdate(CHAT, PEOPLE.vic, callbackData('silence_menu', TOKEN)));
    expect(viewer.map((c) => [c.method, c.payload.show_alert])).toEqual([['answerCallbackQuery', true]]);
    const approver = await t.send(callbackUpdate(CHAT, PEOPLE.bob, callbackData('silence_menu', TOKEN)));
    expect(approver.map((c) => c.method)).toEqual(['answerCallbackQuery', 'editMessageReplyMarkup']);
    const labels = (approver[1]!.payload.reply_markup.inline_keyboard as Array<Array<{ text: string; callback_data: string }>>).flat();
    expect(labels.map((b) => b.text)).toEqual(['1 h', '4 h', '24 h', '↩ Back']);
    expect(labels[0]!.callback_data).toBe(callbackData('silence_1h', TOKEN));
  });
});

describe('error boundary', () => {
  it('a command whose handler throws: handleUpdate resolves, the error is logged, the user is told', async () => {
    const { agent } = fakeAgent({ pendingApprovals: () => Promise.reject(new Error('connection terminated')) });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const update = messageUpdate(CHAT, PEOPLE.vic, '/approvals');
    const out = await t.send(update);
    expect(out.map((c) => [c.method, c.payload.text])).toEqual([['sendMessage', 'Something went wrong handling that; it has been logged. Try again in a moment.']]);
    const errors = t.logs.filter((l) => l.level === 50);
    expect(errors).toEqual([expect.objectContaining({ msg: 'update handling failed', update: update.update_id, component: 'bot' })]);
    expect(errors[0]!.err.message).toBe('connection terminated');
  });

  it('a button whose handler throws: the press is answered and nothing else is sent', async () => {
    const { agent } = fakeAgent({ decide: () => Promise.reject(new Error('deadlock detected')) });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const out = await t.send(callbackUpdate(CHAT, PEOPLE.bob, callbackData('approve', TOKEN)));
    expect(out.map((c) => [c.method, c.payload.text])).toEqual([['answerCallbackQuery', 'Something went wrong; nothing was changed. Try again.']]);
    expect(t.logs.filter((l) => l.level === 50).map((l) => l.err.message)).toEqual(['deadlock detected']);
  });

  it('when telling the user fails too, that is logged as a warning and the update still completes', async () => {
    const { agent } = fakeAgent({ openIncidents: () => Promise.reject(new Error('database down')) });
    const t = await startTestBot(
      { agent, chatIds: [CHAT] },
      {
        sendMessage: () => {
          throw new Error('Telegram unreachable');
        },
      },
    );
    await t.send(messageUpdate(CHAT, PEOPLE.vic, '/incidents'));
    expect(t.logs.filter((l) => l.level >= 40).map((l) => [l.level, l.msg])).toEqual([
      [50, 'update handling failed'],
      [40, 'could not tell the user that the update failed'],
    ]);
  });
});
