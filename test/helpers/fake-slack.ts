// A strict fake of Slack on loopback: incoming webhooks (`POST /services/T/B/X`) and the
// Web API's chat.postMessage (`POST /api/chat.postMessage`). It validates payloads the
// way Slack does (required text, block counts, text lengths) and answers what Slack
// answers. The last path segment of a webhook, or the bot's channel, picks an answer:
//   gone → 404 channel_not_found, archived → 410 channel_is_archived,
//   ratelimited → 429 Retry-After: 3, broken → 500 rollup_error, forbidden → 403 action_prohibited.
import { startFakeServer, type FakeServer, type Reply } from './fake-http.js';

export const SLACK_BOT_TOKEN = 'xoxb-test-token';

type Json = Record<string, any>;

export interface FakeSlack extends FakeServer {
  /** Payloads Slack accepted (webhook bodies; bot calls with blocks/attachments decoded). */
  accepted: Json[];
  /** Why payloads were refused. */
  rejections: string[];
}

const LIMITS = { blocks: 50, sectionText: 3000, fields: 10, fieldText: 2000, contextElements: 10, headerText: 150, text: 40_000 };

function textObject(t: unknown, max: number, where: string, problems: string[]) {
  if (!t || typeof t !== 'object') return problems.push(`${where}: must be a text object`);
  const o = t as Json;
  if (o.type !== 'mrkdwn' && o.type !== 'plain_text') problems.push(`${where}.type: must be mrkdwn or plain_text`);
  if (typeof o.text !== 'string' || o.text.length === 0) problems.push(`${where}.text: must be a non-empty string`);
  else if (o.text.length > max) problems.push(`${where}.text: ${o.text.length} characters, more than ${max}`);
}

function validateBlocks(blocks: unknown, where: string, problems: string[]) {
  if (blocks === undefined) return;
  if (!Array.isArray(blocks)) return problems.push(`${where}: must be an array`);
  if (blocks.length > LIMITS.blocks) problems.push(`${where}: ${blocks.length} blocks, more than ${LIMITS.blocks}`);
  blocks.forEach((b: Json, i) => {
    const at = `${where}[${i}]`;
    switch (b?.type) {
      case 'section':
        if (b.text === undefined && b.fields === undefined) problems.push(`${at}: a section needs text or fields`);
        if (b.text !== undefined) textObject(b.text, LIMITS.sectionText, `${at}.text`, problems);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > LIMITS.fields) problems.push(`${at}.fields: at most ${LIMITS.fields}`);
          else b.fields.forEach((f: unknown, j: number) => textObject(f, LIMITS.fieldText, `${at}.fields[${j}]`, problems));
        }
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > LIMITS.contextElements) {
          problems.push(`${at}.elements: 1 to ${LIMITS.contextElements} elements`);
        } else b.elements.forEach((e: Json, j: number) => e.type !== 'image' && textObject(e, 2000, `${at}.elements[${j}]`, problems));
        break;
      case 'header':
        textObject(b.text, LIMITS.headerText, `${at}.text`, problems);
        if (b.text?.type !== 'plain_text') problems.push(`${at}.text.type: must be plain_text`);
        break;
      case 'divider':
      case 'image':
      case 'actions':
        break;
      default:
        problems.push(`${at}.type: unknown block type ${JSON.stringify(b?.type)}`);
    }
  });
}

/** Slack's checks on a message: what it would refuse, and with which error code. */
export function validateSlackMessage(msg: Json): { error: string; problems: string[] } | null {
  const problems: string[] = [];
  if (typeof msg.text !== 'string' || msg.text.trim() === '') return { error: 'no_text', problems: ['text: required'] };
  if (msg.text.length > LIMITS.text) return { error: 'msg_too_long', problems: [`text: ${msg.text.length} characters`] };
  validateBlocks(msg.blocks, 'blocks', problems);
  if (msg.attachments !== undefined) {
    if (!Array.isArray(msg.attachments)) problems.push('attachments: must be an array');
    else msg.attachments.forEach((a: Json, i: number) => validateBlocks(a.blocks, `attachments[${i}].blocks`, problems));
  }
  return problems.length ? { error: 'invalid_blocks', problems } : null;
}

const SCENARIOS: Record<string, Reply> = {
  gone: { status: 404, body: 'channel_not_found' },
  archived: { status: 410, body: 'channel_is_archived' },
  ratelimited: { status: 429, headers: { 'retry-after': '3' }, body: 'rate_limited' },
  broken: { status: 500, body: 'rollup_error' },
  forbidden: { status: 403, body: 'action_prohibited' },
};

const BOT_SCENARIOS: Record<string, string> = {
  C0GONE0000: 'channel_not_found',
  C0ARCHIVED: 'is_archived',
  C0NOTIN000: 'not_in_channel',
};

export async function startFakeSlack(): Promise<FakeSlack> {
  const accepted: Json[] = [];
  const rejections: string[] = [];
  const server = await startFakeServer((req) => {
    if (req.method !== 'POST') return { status: 405, body: 'invalid_method' };

    if (req.path.startsWith('/services/')) {
      if (!String(req.headers['content-type']).startsWith('application/json')) return { status: 400, body: 'invalid_payload' };
      let msg: Json;
      try {
        msg = JSON.parse(req.body);
      } catch {
        return { status: 400, body: 'invalid_payload' };
      }
      const problem = validateSlackMessage(msg);
      if (problem) {
        rejections.push(...problem.problems);
        return { status: 400, body: problem.error === 'no_text' ? 'invalid_payload' : problem.error };
      }
      const scenario = SCENARIOS[req.path.split('/').pop()!];
      if (scenario) return scenario;
      accepted.push(msg);
      return { status: 200, body: 'ok' };
    }

    if (req.path === '/api/chat.postMessage') {
      if (req.headers.authorization !== `Bearer ${SLACK_BOT_TOKEN}`) return { status: 200, body: { ok: false, error: 'invalid_auth' } };
      // The Web API takes form-encoded or JSON bodies; blocks and attachments arrive JSON-encoded in forms.
      let msg: Json;
      if (String(req.headers['content-type']).startsWith('application/json')) msg = JSON.parse(req.body);
      else {
        msg = Object.fromEntries(new URLSearchParams(req.body));
        for (const key of ['blocks', 'attachments']) if (typeof msg[key] === 'string') msg[key] = JSON.parse(msg[key]);
      }
      if (!msg.channel) return { status: 200, body: { ok: false, error: 'channel_not_found' } };
      if (msg.channel === 'C0RATELIM0') return { status: 429, headers: { 'retry-after': '3' }, body: { ok: false, error: 'ratelimited' } };
      const problem = validateSlackMessage(msg);
      if (problem) {
        rejections.push(...problem.problems);
        return { status: 200, body: { ok: false, error: problem.error, response_metadata: { messages: problem.problems.map((p) => `[ERROR] ${p}`) } } };
      }
      const error = BOT_SCENARIOS[msg.channel];
      if (error) return { status: 200, body: { ok: false, error } };
      accepted.push(msg);
      return { status: 200, body: { ok: true, channel: msg.channel, ts: '1700000000.000100', message: { text: msg.text } } };
    }
    return { status: 404, body: 'no_service' };
  });
  return Object.assign(server, { accepted, rejections });
}
