/**
 * The callback-data codec of incident and knowledge cards: `wk:<verb letter>:<token>`, a verb and
 * an opaque token (a remediation's, or `k` + base-36 id for a knowledge entry) resolved in
 * PostgreSQL when pressed — never trusted to carry state. Always ≤ 64 bytes (Telegram's limit).
 * Source: https://core.telegram.org/bots/api#inlinekeyboardbutton
 */
import type { CardButton, IncidentCardAction, IncidentCardView, KnowledgeCardAction, KnowledgeCardView } from '../agent/ports.ts';

/** Telegram's limit on callback data, bytes. */
export const CALLBACK_DATA_MAX_BYTES = 64;

/** Verbs a card button can carry (one letter on the wire). */
export const CARD_VERBS = {
  a: 'approve',
  r: 'reject',
  l: 'later',
  s: 'silence_menu',
  h: 'silence_1h',
  f: 'silence_4h',
  d: 'silence_24h',
  b: 'back',
  u: 'undo',
  p: 'publish',
  q: 'discard',
} as const;
export type CardVerb = (typeof CARD_VERBS)[keyof typeof CARD_VERBS];

/** Hours of each silence verb. */
export const SILENCE_HOURS: Readonly<Record<'silence_1h' | 'silence_4h' | 'silence_24h', number>> = { silence_1h: 1, silence_4h: 4, silence_24h: 24 };

/** Opaque token of a knowledge entry's review card (`k` + base-36 id). */
export function knowledgeToken(id: number): string {
  return `k${id.toString(36).padStart(4, '0')}`;
}

/** Inverse of {@link knowledgeToken}; undefined when the token is not a knowledge token. */
export function knowledgeIdOf(token: string): number | undefined {
  const m = /^k([0-9a-z]{4,15})$/.exec(token);
  return m ? parseInt(m[1], 36) : undefined;
}

/** Callback data for a verb on a token. */
export function callbackData(verb: CardVerb, token: string): string {
  const code = (Object.entries(CARD_VERBS).find(([, v]) => v === verb) ?? ['?'])[0];
  return `wk:${code}:${token}`;
}

/** Parses callback data; undefined when it is not Watchkeeper's. */
export function parseCallbackData(data: string): { verb: CardVerb; token: string } | undefined {
  const m = /^wk:([a-z]):([A-Za-z0-9_-]{4,16})$/.exec(data);
  if (!m) return undefined;
  const verb = CARD_VERBS[m[1] as keyof typeof CARD_VERBS];
  return verb ? { verb, token: m[2] } : undefined;
}

const INCIDENT_BUTTONS: Readonly<Record<IncidentCardAction, { label: string; verb: CardVerb }>> = {
  approve: { label: '✅ Approve', verb: 'approve' },
  reject: { label: '❌ Reject', verb: 'reject' },
  dismiss: { label: '🆗 Dismiss', verb: 'reject' },
  later: { label: '⏰ Later', verb: 'later' },
  silence: { label: '🔕 Silence', verb: 'silence_menu' },
  undo: { label: '↩️ Undo', verb: 'undo' },
};

/** The buttons of an incident card: one per action the view offers, on its remediation's token. */
export function incidentButtons(view: IncidentCardView): CardButton[] {
  const token = view.proposal?.token;
  if (!token) return [];
  return view.actions.map((a) => ({ label: INCIDENT_BUTTONS[a].label, data: callbackData(INCIDENT_BUTTONS[a].verb, token) }));
}

const KNOWLEDGE_BUTTONS: Readonly<Record<KnowledgeCardAction, string>> = { publish: '📗 Publish', discard: '🗑 Discard' };

/** The buttons of a knowledge review card. */
export function knowledgeButtons(view: KnowledgeCardView): CardButton[] {
  return view.actions.map((a) => ({ label: KNOWLEDGE_BUTTONS[a], data: callbackData(a, knowledgeToken(view.knowledgeId)) }));
}

/** The second keyboard of "Silence": durations and a way back. */
export function silenceButtons(token: string): CardButton[] {
  return [
    { label: '1 h', data: callbackData('silence_1h', token) },
    { label: '4 h', data: callbackData('silence_4h', token) },
    { label: '24 h', data: callbackData('silence_24h', token) },
    { label: '↩ Back', data: callbackData('back', token) },
  ];
}
