/**
 * Proves the telegram-test-api harness with a real grammY Bot pointed at the emulator
 * (`client: { apiRoot }`), and pins the emulator quirks the harness works around.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bot, GrammyError, InlineKeyboard } from 'grammy';
import type { Update } from 'grammy/types';
import { startTelegramEmulator, type TelegramEmulator } from './support/telegram-emulator.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let emulator: TelegramEmulator;

async function makeBot(): Promise<Bot> {
  const bot = new Bot(emulator.token, { client: { apiRoot: emulator.apiRoot } });
  await bot.init();
  return bot;
}

beforeEach(async () => {
  emulator = await startTelegramEmulator();
});

afterEach(async () => {
  await emulator.close();
});

describe('telegram emulator harness', () => {
  it('binds 127.0.0.1 on ephemeral ports and bot.init() gets the emulator identity', async () => {
    expect(emulator.apiRoot).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.apiRoot).not.toMatch(/:9000$/);
    const bot = await makeBot();
    expect(bot.botInfo).toMatchObject({ id: 666, is_bot: true, username: 'TestNameBot', first_name: 'Test First name' });
    const [getMe] = emulator.apiCalls('getMe');
    // The raw emulator answer has no is_bot; the proxy adds it.
    expect(getMe?.emulatorResponse).toEqual({ ok: true, result: { id: 666, username: 'TestNameBot', first_name: 'Test First name' } });
  });

  it('user sends /start → bot replies', async () => {
    const bot = await makeBot();
    const seen: Update[] = [];
    bot.use(async (ctx, next) => {
      seen.push(ctx.update);
      await next();
    });
    bot.command('start', (ctx) => ctx.reply(`Hello ${ctx.from?.first_name}, args=${JSON.stringify(ctx.match)}`));
    emulator.pumpInto(bot);

    const alice = emulator.user(1001, 1001, 'Alice');
    const sent = await alice.sendCommand('/start now');
    const reply = await sent.reply();

    expect(reply.text).toBe('Hello Alice, args="now"');
    expect(reply.chat_id).toBe(1001);
    expect(alice.messages().map((m) => m.text)).toEqual(['Hello Alice, args="now"']);

    // Shape of the delivered update: proper entity, no leaked botToken, ids from the emulator.
    const update = seen[0];
    expect(update?.update_id).toBe(sent.update_id);
    expect(update?.message).toEqual({
      message_id: sent.message_id,
      from: { id: 1001, is_bot: false, first_name: 'Alice', username: 'user1001' },
      chat: { id: 1001, type: 'private', first_name: 'Alice', username: 'user1001' },
      date: expect.any(Number),
      text: '/start now',
      entities: [{ type: 'bot_command', offset: 0, length: 6 }],
    });

    // Bot-side sendMessage: emulator answer vs what grammY received.
    const [call] = emulator.apiCalls('sendMessage');
    expect(call?.params).toMatchObject({ chat_id: 1001, text: 'Hello Alice, args="now"' });
    const raw = (call?.emulatorResponse as { result: Record<string, unknown> }).result;
    expect(raw).toMatchObject({ chat_id: 1001, message_id: reply.message_id, chat: { id: 1001, first_name: 'Bot', type: 'private' } });
    expect(raw['from']).toBeUndefined();
    expect(raw['date']).toBeGreaterThan(1e12); // milliseconds
    expect((call?.response as { result: Record<string, unknown> }).result).toEqual({
      message_id: reply.message_id,
      from: emulator.botUser,
      chat: { id: 1001, type: 'private', first_name: 'Alice', username: 'user1001' },
      date: expect.any(Number),
      text: 'Hello Alice, args="now"',
    });
    expect(reply.message_id).toBeGreaterThan(sent.message_id); // one global counter
    expect(emulator.handlerErrors()).toEqual([]);
  });

  it('inline keyboard → press → bot answers the callback and edits text and keyboard', async () => {
    const bot = await makeBot();
    const queries: Update[] = [];
    bot.command('approve', (ctx) =>
      ctx.reply('Restart deployment api-gateway?', {
        reply_markup: new InlineKeyboard().text('Approve', 'approve:7').text('Reject', 'reject:7'),
      }),
    );
    bot.callbackQuery(/^approve:(\d+)$/, async (ctx) => {
      queries.push(ctx.update);
      await ctx.answerCallbackQuery({ text: `Approved #${ctx.match[1]}` });
      await ctx.editMessageText(`Approved by ${ctx.from.first_name}`, {
        reply_markup: new InlineKeyboard().text('Undo', 'undo:7'),
      });
    });
    emulator.pumpInto(bot);

    const alice = emulator.user(1001, 1001, 'Alice');
    const prompt = await (await alice.sendCommand('/approve')).reply((m) => m.buttons.length > 0);
    expect(prompt.buttons.map((b) => b.text)).toEqual(['Approve', 'Reject']);

    const press = await alice.pressButton(prompt, 'approve:7');
    const answer = await press.answer();
    expect(answer).toMatchObject({ text: 'Approved #7', userId: 1001, data: 'approve:7', messageId: prompt.message_id });
    const edited = await alice.waitForEdit(prompt, (m) => m.text.startsWith('Approved'));

    expect(edited.text).toBe('Approved by Alice');
    expect(edited.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Undo', callback_data: 'undo:7' }]] });
    expect(edited.editCount).toBe(1);
    expect(edited.history).toEqual([{ text: 'Restart deployment api-gateway?', reply_markup: prompt.reply_markup }]);
    expect(alice.messages()).toHaveLength(1);
    expect(alice.messages()[0]?.text).toBe('Approved by Alice');
    expect(alice.callbackAnswers()).toEqual([answer]);

    // callback_query shape as delivered: populated message, chat_instance added by the pump.
    expect(queries[0]?.callback_query).toEqual({
      id: press.callbackQueryId,
      from: alice.from,
      chat_instance: '1001',
      data: 'approve:7',
      message: {
        message_id: prompt.message_id,
        from: emulator.botUser,
        chat: { id: 1001, type: 'private', first_name: 'Alice', username: 'user1001' },
        date: expect.any(Number),
        text: 'Restart deployment api-gateway?',
        reply_markup: prompt.reply_markup,
      },
    });
    // The emulator answers edits with result null; grammY gets the edited Message from the proxy.
    const [editCall] = emulator.apiCalls('editMessageText');
    expect(editCall?.emulatorResponse).toEqual({ ok: true, result: null });
    expect(editCall?.response).toMatchObject({ ok: true, result: { message_id: prompt.message_id, text: 'Approved by Alice' } });

    // Pressing a button that is no longer on screen is refused unless forced.
    await expect(alice.pressButton(prompt, 'reject:7')).rejects.toThrow(/no button/);
    await expect(alice.pressButtonByText('Reject')).rejects.toThrow(/no visible button/);
    expect(emulator.handlerErrors()).toEqual([]);
  });

  it('a bot calling an unsupported method (setMyCommands) gets a catchable error and keeps working', async () => {
    const bot = await makeBot();
    let caught: unknown;
    try {
      await bot.api.setMyCommands([{ command: 'incidents', description: 'List incidents' }]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GrammyError);
    expect((caught as GrammyError).error_code).toBe(500);
    expect((caught as GrammyError).description).toMatch(/API method 'setMyCommands' is not supported/);
    const [call] = emulator.apiCalls('setMyCommands');
    expect(call?.emulatorStatus).toBe(500);
    expect(call?.emulatorResponse).toEqual({ message: expect.stringMatching(/not supported/) });

    bot.command('ping', (ctx) => ctx.reply('pong'));
    emulator.pumpInto(bot);
    const bob = emulator.user(2002, 2002, 'Bob');
    expect((await (await bob.sendCommand('/ping')).reply()).text).toBe('pong');
  });

  it('raw emulator (telegramSemantics: false): unsupported method is a GrammyError without code', async () => {
    await emulator.close();
    emulator = await startTelegramEmulator({ telegramSemantics: false });
    const bot = await makeBot();
    const error = await bot.api.setMyCommands([]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).error_code).toBeUndefined();
    expect(bot.botInfo).not.toHaveProperty('is_bot');
  });

  it('delivers every update exactly once and in update_id order', async () => {
    const bot = await makeBot();
    const order: number[] = [];
    bot.on('message:text', (ctx) => {
      order.push(ctx.update.update_id);
    });
    emulator.pumpInto(bot);
    const users = [emulator.user(1, 1), emulator.user(2, 2), emulator.user(3, -100)];
    const sent = await Promise.all(Array.from({ length: 30 }, (_, i) => users[i % 3]!.sendText(`msg ${i}`)));
    await emulator.settled();

    const ids = sent.map((s) => s.update_id);
    expect(new Set(ids).size).toBe(30);
    expect(new Set(sent.map((s) => s.message_id)).size).toBe(30); // injections are serialised
    expect(order).toEqual([...ids].sort((a, b) => a - b));
    expect(emulator.deliveredUpdates().map((u) => u.update_id)).toEqual(order);
    expect(emulator.pendingUpdateCount()).toBe(0);
    expect(emulator.handlerErrors()).toEqual([]);
  });

  it('a slow callback handler does not block the pump', async () => {
    const bot = await makeBot();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    bot.command('menu', (ctx) => ctx.reply('menu', { reply_markup: new InlineKeyboard().text('Slow', 'slow') }));
    bot.callbackQuery('slow', async (ctx) => {
      await gate;
      await ctx.answerCallbackQuery({ text: 'finally' });
    });
    bot.command('ping', (ctx) => ctx.reply('pong'));
    emulator.pumpInto(bot);

    const alice = emulator.user(1001, 1001);
    const menu = await (await alice.sendCommand('/menu')).reply();
    const press = await alice.pressButtonByText('Slow');
    const pong = await (await alice.sendCommand('/ping')).reply((m) => m.text === 'pong', 2000);
    expect(pong.text).toBe('pong');
    expect(press.answers()).toEqual([]); // still blocked
    release();
    expect((await press.answer()).text).toBe('finally');
    expect(menu.message_id).toBeLessThan(pong.message_id);
  });

  it('applies Telegram edit semantics the emulator lacks: keyboard removal, not-modified, delete', async () => {
    const bot = await makeBot();
    const chatId = 1001;
    const alice = emulator.user(1001, chatId, 'Alice');
    const msg = await bot.api.sendMessage(chatId, 'Alert: pod crashloop', {
      reply_markup: new InlineKeyboard().text('Ack', 'ack'),
    });
    expect(msg.date).toBeLessThan(1e11); // seconds, patched by the proxy

    // editMessageText without reply_markup removes the keyboard (the emulator's storage keeps it).
    await bot.api.editMessageText(chatId, msg.message_id, 'Alert: pod crashloop (resolved)');
    expect(alice.messages()[0]).toMatchObject({ text: 'Alert: pod crashloop (resolved)', buttons: [], editCount: 1 });
    expect(alice.messages()[0]?.reply_markup).toBeUndefined();
    const stored = emulator.server.storage.botMessages[0]?.message as { reply_markup?: unknown };
    expect(stored.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Ack', callback_data: 'ack' }]] });

    // Identical edit → 400 "message is not modified" (emulator would silently accept).
    const notModified = await bot.api.editMessageText(chatId, msg.message_id, 'Alert: pod crashloop (resolved)').catch((e: unknown) => e);
    expect(notModified).toBeInstanceOf(GrammyError);
    expect((notModified as GrammyError).description).toMatch(/message is not modified/);

    // editMessageReplyMarkup adds, then removes, a keyboard.
    await bot.api.editMessageReplyMarkup(chatId, msg.message_id, { reply_markup: new InlineKeyboard().text('Reopen', 'reopen') });
    expect(alice.lastMessage()?.buttons.map((b) => b.text)).toEqual(['Reopen']);
    await bot.api.editMessageReplyMarkup(chatId, msg.message_id);
    expect(alice.lastMessage()?.buttons).toEqual([]);
    expect(alice.lastMessage()?.editCount).toBe(3);

    // Unknown message → 400 "message to edit not found".
    const notFound = await bot.api.editMessageText(chatId, 999_999, 'x').catch((e: unknown) => e);
    expect((notFound as GrammyError).description).toMatch(/message to edit not found/);

    // Delete hides the message.
    await bot.api.deleteMessage(chatId, msg.message_id);
    expect(alice.messages()).toEqual([]);
    expect(alice.messages({ includeDeleted: true })[0]?.deleted).toBe(true);

    // Answering an unknown callback query → 400.
    const badAnswer = await bot.api.answerCallbackQuery('424242').catch((e: unknown) => e);
    expect((badAnswer as GrammyError).description).toMatch(/query ID is invalid/);
  });

  it('two users in a group chat: per-user callback answers and from.id', async () => {
    const bot = await makeBot();
    const approvals: number[] = [];
    const groupId = -1001234567890;
    bot.callbackQuery('approve', async (ctx) => {
      approvals.push(ctx.from.id);
      const second = approvals.length >= 2;
      await ctx.answerCallbackQuery({ text: second ? 'Second approval recorded' : 'Waiting for a second approver', show_alert: !second });
      if (second) await ctx.editMessageText(`Approved by ${approvals.join(' and ')}`);
    });
    emulator.pumpInto(bot, { dispatch: 'sequential' });
    await bot.api.sendMessage(groupId, 'Scale down batch-workers to 0?', {
      reply_markup: new InlineKeyboard().text('Approve', 'approve'),
    });

    const alice = emulator.user(11, groupId, 'Alice');
    const bob = emulator.user(22, groupId, 'Bob');
    const prompt = alice.lastMessage();
    expect(prompt?.text).toBe('Scale down batch-workers to 0?');
    expect(bob.messages()).toEqual(alice.messages()); // same chat, same view

    await (await alice.pressButtonByText('Approve')).answer();
    await (await bob.pressButtonByText('Approve')).answer();
    await bob.waitForEdit(prompt!, (m) => m.text.startsWith('Approved'));

    expect(alice.callbackAnswers()).toMatchObject([{ userId: 11, text: 'Waiting for a second approver', show_alert: true }]);
    expect(bob.callbackAnswers()).toMatchObject([{ userId: 22, text: 'Second approval recorded', show_alert: false }]);
    expect(alice.lastMessage()?.text).toBe('Approved by 11 and 22');
    expect(emulator.deliveredUpdates().map((u) => u.callback_query?.message?.chat)).toEqual([
      { id: groupId, type: 'supergroup', title: `Chat ${groupId}` },
      { id: groupId, type: 'supergroup', title: `Chat ${groupId}` },
    ]);
  });

  it('collects handler errors without stopping the pump; waitFor timeouts describe the chat', async () => {
    const bot = await makeBot();
    bot.command('boom', () => {
      throw new Error('kaboom');
    });
    bot.command('ping', (ctx) => ctx.reply('pong'));
    emulator.pumpInto(bot);
    const alice = emulator.user(1001, 1001);
    await alice.sendCommand('/boom');
    expect((await (await alice.sendCommand('/ping')).reply()).text).toBe('pong');
    expect(emulator.handlerErrors()).toHaveLength(1);
    expect(String(emulator.handlerErrors()[0]?.error)).toMatch(/kaboom/);

    await expect(alice.waitForMessage((m) => m.text === 'never', 100)).rejects.toThrow(/bot messages in chat 1001:\n {2}#\d+: "pong"/);
  });

  it('close() drains in-flight handlers and is idempotent', async () => {
    const bot = await makeBot();
    let finished = false;
    bot.command('slow', async (ctx) => {
      await sleep(150);
      await ctx.reply('done');
      finished = true;
    });
    emulator.pumpInto(bot);
    const alice = emulator.user(1, 1);
    await alice.sendCommand('/slow');
    await emulator.waitFor(() => emulator.deliveredUpdates().length === 1);
    await emulator.close();
    expect(finished).toBe(true);
    expect(alice.messages()[0]?.text).toBe('done');
    await emulator.close();
  });
});
