/**
 * The redaction gate for Telegram: a grammY API transformer that passes every outgoing text through
 * {@link redact} in `local` mode before it leaves the process.
 *
 * Why: Telegram is a cloud service. Every byte sent there is stored on servers outside the
 * cluster's trust boundary, exactly like a prompt sent to a cloud model, so the same secret rules
 * apply to it (issue 11: alert summaries, drift values, evidence and model output reached cards
 * unredacted). `local` mode removes secrets only; Kubernetes names, namespaces and IPs stay, as the
 * on-call humans need them. Installed once on `bot.api` (grammY copies `bot.api`'s transformers to
 * every `ctx.api`), so renderers cannot forget it.
 *
 * What is redacted, for every method: `text` and `caption` (with their `parse_mode`), `media[].caption`,
 * poll `question`/`options`, and the text of inline- and reply-keyboard buttons. Callback data, URLs
 * of buttons, chat ids and files are left alone.
 *
 * Formatting (Telegram's HTML parse mode, https://core.telegram.org/bots/api#html-style):
 * - text between tags is decoded (`&lt;` `&gt;` `&amp;` `&quot;`, numeric entities), redacted, and
 *   re-escaped, so tags and entities are never broken;
 * - when a secret spans markup (`password: <code>hunter2</code>`) or sits in a tag (`<a href>`
 *   with credentials), the message falls back to its plain text, redacted and escaped: formatting
 *   is lost, nothing leaks;
 * - a Markdown message whose text changes is sent without `parse_mode` (a marker could break the
 *   Markdown; the message still arrives). Watchkeeper itself only uses HTML.
 * - `entities`/`caption_entities` are dropped when their text changes (their offsets would be wrong).
 * Lengths: a text the gate changed is cut to Telegram's limit (4096 for messages, 1024 for
 * captions, 200 for callback answers; counted in UTF-16 units after entity parsing) at a grapheme
 * boundary, closing open tags. A text the gate does not change is passed through untouched.
 */
import type { Transformer } from 'grammy';
import { redact } from '../domain/redaction.ts';

/** Telegram's length limits, UTF-16 code units after entity parsing (Bot API "sendMessage", "sendPhoto", "answerCallbackQuery"). */
export const TELEGRAM_LIMITS = { text: 4096, caption: 1024, callbackAnswer: 200, pollQuestion: 300, pollOption: 100 } as const;

type ParseMode = string | undefined;

/**
 * The transformer. Install it first (`bot.api.config.use(redactionGate())` before any other
 * transformer): grammY runs the transformer installed first closest to the network, so every retry
 * or throttled call is checked again on its way out.
 *
 * @returns a grammY {@link Transformer}; the caller's payload objects are never mutated.
 */
export function redactionGate(): Transformer {
  return (prev, method, payload, signal) => prev(method, redactPayload(method, payload), signal);
}

/**
 * The payload of one Bot API call with every outgoing text redacted (see the module comment).
 * Returns the same object when nothing changed.
 *
 * @param method Bot API method name, e.g. `sendMessage` (decides the length limit of `text`).
 * @param payload the call's parameters as grammY passes them to transformers.
 */
export function redactPayload<P>(method: string, payload: P): P {
  if (!isRecord(payload)) return payload;
  let out: Record<string, unknown> = payload;
  const set = (key: string, value: unknown) => {
    if (out === payload) out = { ...payload };
    out[key] = value;
  };

  const parseMode = typeof payload.parse_mode === 'string' ? payload.parse_mode : undefined;
  const textLimit = method === 'answerCallbackQuery' ? TELEGRAM_LIMITS.callbackAnswer : TELEGRAM_LIMITS.text;
  for (const [key, entitiesKey, limit] of [
    ['text', 'entities', textLimit],
    ['caption', 'caption_entities', TELEGRAM_LIMITS.caption],
  ] as const) {
    const value = payload[key];
    if (typeof value !== 'string') continue;
    const gated = redactFormatted(value, parseMode, limit);
    if (gated.text === value) continue;
    set(key, gated.text);
    if (payload[entitiesKey] !== undefined) set(entitiesKey, undefined);
    if (gated.dropParseMode) set('parse_mode', undefined);
  }

  if (typeof payload.question === 'string') {
    const q = redactPlain(payload.question, TELEGRAM_LIMITS.pollQuestion);
    if (q !== payload.question) set('question', q);
  }
  if (Array.isArray(payload.options)) {
    const options = mapChanged(payload.options, (o) => redactButtonLike(o, TELEGRAM_LIMITS.pollOption));
    if (options !== payload.options) set('options', options);
  }
  if (payload.media !== undefined) {
    const media = Array.isArray(payload.media) ? mapChanged(payload.media, redactMediaCaption) : redactMediaCaption(payload.media);
    if (media !== payload.media) set('media', media);
  }
  if (isRecord(payload.reply_markup)) {
    const markup = redactMarkup(payload.reply_markup);
    if (markup !== payload.reply_markup) set('reply_markup', markup);
  }
  return out as P;
}

/** Result of redacting one formatted text. */
interface Gated {
  text: string;
  /** True when the text must go without `parse_mode` (a changed Markdown text). */
  dropParseMode: boolean;
}

/** Redacts a text in its parse mode and keeps it within `limit` visible characters. */
function redactFormatted(text: string, parseMode: ParseMode, limit: number): Gated {
  if (parseMode === 'HTML') return { text: redactHtml(text, limit), dropParseMode: false };
  const plain = redactPlain(text, limit);
  return { text: plain, dropParseMode: plain !== text && parseMode !== undefined };
}

/** Redacts plain text; a changed text is cut to `limit`. */
function redactPlain(text: string, limit: number): string {
  const out = redact(text, { mode: 'local' }).text;
  return out === text || out.length <= limit ? out : cutGraphemes(out, limit - 1) + '…';
}

/** A tag (`<b>`, `</code>`, `<a href="…">`) or a run of text between tags. */
interface Token {
  tag: boolean;
  /** Source as written (escaped for text). */
  source: string;
  /** Decoded text (text tokens only). */
  plain: string;
}

/** Splits Telegram HTML into tags and text runs. */
function tokenize(html: string): Token[] {
  const tokens: Token[] = [];
  for (const m of html.matchAll(/<[^>]*>|[^<]+|</g)) {
    const source = m[0];
    const tag = source.startsWith('<') && source.length > 1;
    tokens.push({ tag, source, plain: tag ? '' : decodeEntities(source) });
  }
  return tokens;
}

/** Decodes the entities Telegram's HTML parse mode knows (`&lt; &gt; &amp; &quot;` and numeric ones). */
function decodeEntities(s: string): string {
  return s.replace(/&(?:lt|gt|amp|quot|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g, (m, dec?: string, hex?: string) => {
    if (dec !== undefined || hex !== undefined) {
      const cp = dec !== undefined ? Number(dec) : parseInt(hex ?? '', 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return m === '&lt;' ? '<' : m === '&gt;' ? '>' : m === '&amp;' ? '&' : '"';
  });
}

/** Escapes text for Telegram's HTML parse mode. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Number of secrets `redact` found. */
function secretCount(secrets: Readonly<Record<string, number>>): number {
  return Object.values(secrets).reduce((a, b) => a + b, 0);
}

/** Redacts Telegram HTML without breaking tags or entities (see the module comment). */
function redactHtml(html: string, limit: number): string {
  const tokens = tokenize(html);
  let changed = false;
  let found = 0;
  let tagSecret = false;
  const gated = tokens.map((t): Token => {
    if (t.tag) {
      if (secretCount(redact(decodeEntities(t.source), { mode: 'local' }).secrets) > 0) tagSecret = true;
      return t;
    }
    const r = redact(t.plain, { mode: 'local' });
    found += secretCount(r.secrets);
    if (r.text === t.plain) return t;
    changed = true;
    return { tag: false, source: escapeHtml(r.text), plain: r.text };
  });
  const whole = redact(tokens.map((t) => t.plain).join(''), { mode: 'local' });
  if (tagSecret || secretCount(whole.secrets) > found) {
    // A secret spans markup or sits inside a tag: send the redacted plain text instead.
    const text = whole.text.length <= limit ? whole.text : cutGraphemes(whole.text, limit - 1) + '…';
    return escapeHtml(text);
  }
  if (!changed) return html;
  return cutHtml(gated, limit);
}

/** Joins tokens, cutting the visible text to `limit` (with `…`) and closing tags left open. */
function cutHtml(tokens: Token[], limit: number): string {
  const visible = tokens.reduce((n, t) => n + t.plain.length, 0);
  if (visible <= limit) return tokens.map((t) => t.source).join('');
  let out = '';
  let used = 0;
  const open: string[] = [];
  for (const t of tokens) {
    if (t.tag) {
      const name = /^<\/?\s*([A-Za-z0-9-]+)/.exec(t.source)?.[1]?.toLowerCase();
      if (t.source.startsWith('</')) {
        const i = open.lastIndexOf(name ?? '');
        if (i >= 0) open.splice(i, 1);
      } else if (name) {
        open.push(name);
      }
      out += t.source;
      continue;
    }
    if (used + t.plain.length <= limit - 1) {
      out += t.source;
      used += t.plain.length;
      continue;
    }
    out += escapeHtml(cutGraphemes(t.plain, limit - 1 - used)) + '…';
    break;
  }
  for (const name of open.reverse()) out += `</${name}>`;
  return out;
}

/** The longest prefix of `s` of at most `max` UTF-16 units that ends on a grapheme boundary. */
export function cutGraphemes(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = 0;
  for (const { index, segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)) {
    if (index + segment.length > max) break;
    end = index + segment.length;
  }
  return s.slice(0, end);
}

/** Applies `fn` to each element; returns the same array when nothing changed. */
function mapChanged<T>(items: readonly T[], fn: (item: T) => T): T[] {
  let changed = false;
  const out = items.map((item) => {
    const next = fn(item);
    if (next !== item) changed = true;
    return next;
  });
  return changed ? out : (items as T[]);
}

/** A keyboard button or poll option: a string, or an object with `text`. */
function redactButtonLike<T>(button: T, limit = Number.MAX_SAFE_INTEGER): T {
  if (typeof button === 'string') return redactPlain(button, limit) as T;
  if (isRecord(button) && typeof button.text === 'string') {
    const text = redactPlain(button.text, limit);
    return text === button.text ? button : ({ ...button, text } as T);
  }
  return button;
}

/** Inline and reply keyboards: the text of every button. */
function redactMarkup(markup: Record<string, unknown>): Record<string, unknown> {
  let out = markup;
  for (const key of ['inline_keyboard', 'keyboard'] as const) {
    const rows = markup[key];
    if (!Array.isArray(rows)) continue;
    const next = mapChanged(rows as unknown[], (row) => (Array.isArray(row) ? mapChanged(row, (b) => redactButtonLike(b)) : row));
    if (next !== rows) out = { ...out, [key]: next };
  }
  return out;
}

/** `InputMedia`: its caption in its own parse mode. */
function redactMediaCaption(media: unknown): unknown {
  if (!isRecord(media) || typeof media.caption !== 'string') return media;
  const parseMode = typeof media.parse_mode === 'string' ? media.parse_mode : undefined;
  const gated = redactFormatted(media.caption, parseMode, TELEGRAM_LIMITS.caption);
  if (gated.text === media.caption) return media;
  const out: Record<string, unknown> = { ...media, caption: gated.text, caption_entities: undefined };
  if (gated.dropParseMode) out.parse_mode = undefined;
  return out;
}

/** A plain object or class instance with fields (InlineKeyboard), not an array. */
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
