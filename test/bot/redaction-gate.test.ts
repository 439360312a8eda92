/**
 * The Telegram redaction gate (issue 11: Telegram is a cloud service). Calls go through the bot
 * built by `createTelegramApi` and `bareBot` (the production wiring) to a local HTTP server standing in for the Bot
 * API, which records each request body as it left the process.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InlineKeyboard } from 'grammy';
import type { Update } from 'grammy/types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncidentCardView } from '../../agent/ports.ts';
import { escapeHtml, renderIncidentCard } from '../../bot/cards.ts';
import { bareBot, createTelegramApi } from '../../bot/index.ts';
import { createNotifier } from '../../bot/notifier.ts';
import { cutGraphemes, redactPayload, TELEGRAM_LIMITS } from '../../bot/redaction-gate.ts';
import { SECRET_CORPUS } from '../domain/secret-corpus.ts';

interface Call {
  method: string;
  body: Record<string, unknown>;
}

const CHAT = -1001234;
let server: Server;
let apiRoot: string;
const calls: Call[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const method = (req.url ?? '').split('/').pop() ?? '';
      calls.push({ method, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} });
      const result = method === 'sendMessage' ? { message_id: calls.length, date: 0, chat: { id: CHAT, type: 'supergroup', title: 'ops' }, text: '' } : true;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  calls.length = 0;
});

function bot() {
  const b = bareBot(createTelegramApi({ token: '42:test', apiRoot, retry: false, throttle: false }));
  b.botInfo = {
    id: 42,
    is_bot: true,
    first_name: 'Watchkeeper',
    username: 'watchkeeper_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  } as typeof b.botInfo;
  return b;
}

/** Text as the user sees it: tags removed, Telegram's entities decoded. */
function visible(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

/** Asserts that `html` is valid for Telegram's HTML parse mode: known tags, balanced, entities only. */
function expectTelegramHtml(html: string): void {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-z-]+)(?:\s[^>]*)?>|<|&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-f]+);)/gi)) {
    expect(m[0], `stray ${m[0]} in ${html.slice(0, 200)}`).toMatch(/^<\/?[a-z-]+/i);
    const name = (m[2] ?? '').toLowerCase();
    expect(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'blockquote', 'tg-spoiler', 'span']).toContain(name);
    if (m[1]) expect(stack.pop(), `unbalanced </${name}>`).toBe(name);
    else stack.push(name);
  }
  expect(stack).toEqual([]);
  expect(visible(html).length).toBeLessThanOrEqual(TELEGRAM_LIMITS.text);
}

function card(text: string): IncidentCardView {
  return {
    incidentId: 7,
    status: 'open',
    severity: 'critical',
    alertname: 'KubePodCrashLooping',
    summary: text,
    target: 'shop/Deployment/api',
    openedAt: new Date('2024-05-01T10:00:00Z'),
    diagnosis: { source: 'rules only', category: 'bad_config', cause: `container exits: ${text}`, evidence: [text], confidence: 0.7, gaps: [] },
    buttons: [],
  } as unknown as IncidentCardView;
}

describe('redaction gate on the wire', () => {
  it.each(SECRET_CORPUS)('an incident card carrying $name leaves without the secret, as valid HTML', async ({ text, secret }) => {
    const rendered = renderIncidentCard(card(text));
    expect(visible(rendered)).toContain(secret); // the renderer alone would leak it
    await createNotifier(bot().api).postIncidentCard(CHAT, card(text));
    expect(calls.map((c) => c.method)).toEqual(['sendMessage']);
    const sent = calls[0]!.body;
    expect(sent.parse_mode).toBe('HTML');
    expect(visible(String(sent.text))).not.toContain(secret);
    expect(String(sent.text)).toContain('[REDACTED:');
    expect(String(sent.text)).toContain('KubePodCrashLooping');
    expectTelegramHtml(String(sent.text));
  });

  it('covers replies made while handling an update (ctx.api), including button texts; callback data is untouched', async () => {
    const b = bot();
    const token = SECRET_CORPUS.find((c) => c.name === 'GitHub token')!;
    b.command('status', (ctx) =>
      ctx.reply(`<b>Status</b>\n<code>${escapeHtml(token.text)}</code>`, {
        parse_mode: 'HTML',
        reply_markup: new InlineKeyboard().text(`Rotate ${token.secret}`, 'rotate:1').text('Keep', 'keep:1'),
      }),
    );
    const update = {
      update_id: 1,
      message: { message_id: 5, date: 0, chat: { id: CHAT, type: 'supergroup', title: 'ops' }, from: { id: 9, is_bot: false, first_name: 'Ana' }, text: '/status', entities: [{ type: 'bot_command', offset: 0, length: 7 }] },
    } as unknown as Update;
    await b.handleUpdate(update);
    const sent = calls.find((c) => c.method === 'sendMessage')!.body;
    expect(JSON.stringify(sent)).not.toContain(token.secret);
    expect(sent.text).toBe('<b>Status</b>\n<code>remote: [REDACTED:github_token] invalid</code>');
    expect(sent.reply_markup).toEqual({
      inline_keyboard: [[{ text: 'Rotate [REDACTED:github_token]', callback_data: 'rotate:1' }, { text: 'Keep', callback_data: 'keep:1' }]],
    });
  });

  it('sends a text without secrets byte for byte as written', async () => {
    const html = '🔴 <b>CRITICAL · KubePodCrashLooping</b> &amp; <code>shop/api-auth-token-7c9f6d-x2k4q</code>: container api restarted &lt;3&gt;';
    await bot().api.sendMessage(CHAT, html, { parse_mode: 'HTML' });
    expect(calls[0]!.body.text).toBe(html);
  });
});

describe('redactPayload', () => {
  it.each([
    ['a secret split across tags falls back to redacted plain text', '<b>password:</b> <code>Hunter2x!</code> on <i>db</i>', 'password: [REDACTED:password] on db'],
    ['a secret inside a link target drops the markup', '<a href="https://bot:S3cr3tPw@git.example.com/x">repo</a> &amp; more', 'repo &amp; more'],
    ['entities in the redacted text are re-escaped', '<pre>DB_PASS=a&lt;b&amp;c</pre> x &lt; y', '<pre>DB_PASS=[REDACTED:password]</pre> x &lt; y'],
  ])('%s', (_name, html, expected) => {
    const out = redactPayload('sendMessage', { chat_id: CHAT, text: html, parse_mode: 'HTML' });
    expect(out.text).toBe(expected);
    expectTelegramHtml(out.text);
  });

  it('keeps a grown text within 4096 visible characters, closing open tags and never splitting an emoji', () => {
    // `DB_PASS=k9Z!` (12) becomes `DB_PASS=[REDACTED:password]` (27): the text grows past the limit.
    const html = `<b>evidence</b>\n<pre>${'🔥 DB_PASS=k9Z! '.repeat(240)}</pre>\n<i>end</i>`;
    expect(visible(html).length).toBeLessThanOrEqual(TELEGRAM_LIMITS.text);
    const out = redactPayload('editMessageText', { chat_id: CHAT, message_id: 3, text: html, parse_mode: 'HTML' }).text;
    expect(out).not.toContain('k9Z!');
    expect(visible(out).length).toBeGreaterThan(TELEGRAM_LIMITS.text - 20);
    expectTelegramHtml(out);
    expect(out.endsWith('…</pre>')).toBe(true);
    expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(out)).toBe(false);
  });

  it('limits a callback answer to 200 characters', () => {
    const out = redactPayload('answerCallbackQuery', { callback_query_id: '1', text: 'pwd=Secr3t! '.repeat(15) });
    expect(out.text.length).toBeLessThanOrEqual(TELEGRAM_LIMITS.callbackAnswer);
    expect(out.text).not.toContain('Secr3t');
  });

  it('sends a changed Markdown text without parse mode, drops stale entities, redacts captions and media captions', () => {
    const md = redactPayload('sendMessage', { chat_id: CHAT, text: '*DB_PASS=Hunter2x!*', parse_mode: 'MarkdownV2' });
    expect(md).toEqual({ chat_id: CHAT, text: '*DB_PASS=[REDACTED:password]', parse_mode: undefined });
    const withEntities = redactPayload('sendMessage', { chat_id: CHAT, text: 'token=abc123XYZ', entities: [{ type: 'bold', offset: 0, length: 15 }] });
    expect(withEntities).toEqual({ chat_id: CHAT, text: 'token=[REDACTED:token]', entities: undefined });
    const photo = redactPayload('sendPhoto', { chat_id: CHAT, photo: 'x', caption: 'api_key: k-1234567890abcdef', caption_entities: [] });
    expect(photo.caption).toBe('api_key: [REDACTED:api_key]');
    const group = redactPayload('sendMediaGroup', { chat_id: CHAT, media: [{ type: 'photo', media: 'x', caption: '<b>secret=s3cr3tv4lue</b>', parse_mode: 'HTML' }] });
    expect(group.media[0]).toMatchObject({ caption: '<b>secret=[REDACTED:secret]</b>', parse_mode: 'HTML' });
  });

  it('returns the very same payload when nothing is secret', () => {
    const payload = { chat_id: CHAT, text: '<b>ok</b>', parse_mode: 'HTML', reply_markup: new InlineKeyboard().text('Approve', 'a:1') };
    expect(redactPayload('sendMessage', payload)).toBe(payload);
  });

  it('cuts at grapheme boundaries', () => {
    expect(cutGraphemes('ab👍🏽c', 3)).toBe('ab');
    expect(cutGraphemes('ab👍🏽c', 6)).toBe('ab👍🏽');
  });
});
