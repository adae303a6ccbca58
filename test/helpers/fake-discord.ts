// A strict fake of a Discord webhook on loopback (`POST /api/webhooks/<id>/<token>`): the
// documented content and embed limits, 400 with Discord's error body when broken. The
// token picks an answer: gone → 404 Unknown Webhook, ratelimited → 429 with Retry-After
// and {retry_after, global}, broken → 500; otherwise 204.
import { startFakeServer, type FakeServer, type Reply } from './fake-http.js';

type Json = Record<string, any>;

export interface FakeDiscord extends FakeServer {
  accepted: Json[];
  rejections: string[];
}

const L = { content: 2000, embeds: 10, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, author: 256, total: 6000, username: 80 };

/** Discord's checks on a webhook message. */
export function discordProblems(msg: Json): string[] {
  const p: string[] = [];
  const len = (v: unknown) => (typeof v === 'string' ? v.length : 0);
  if (msg.content !== undefined && (typeof msg.content !== 'string' || msg.content.length > L.content)) p.push(`content: at most ${L.content} characters (got ${len(msg.content)})`);
  if (msg.username !== undefined && (len(msg.username) < 1 || len(msg.username) > L.username)) p.push('username: 1 to 80 characters');
  const embeds: Json[] = msg.embeds ?? [];
  if (!Array.isArray(embeds) || embeds.length > L.embeds) p.push(`embeds: at most ${L.embeds}`);
  if (!msg.content && !(Array.isArray(embeds) && embeds.length)) p.push('Cannot send an empty message');
  let total = 0;
  for (const [i, e] of (Array.isArray(embeds) ? embeds : []).entries()) {
    const at = `embeds.${i}`;
    if (len(e.title) > L.title) p.push(`${at}.title: at most ${L.title}`);
    if (len(e.description) > L.description) p.push(`${at}.description: at most ${L.description}`);
    if (e.color !== undefined && (!Number.isInteger(e.color) || e.color < 0 || e.color > 0xffffff)) p.push(`${at}.color: integer 0..16777215`);
    if (e.url !== undefined && !/^https?:\/\//.test(e.url)) p.push(`${at}.url: not a valid URL`);
    if (e.timestamp !== undefined && Number.isNaN(Date.parse(e.timestamp))) p.push(`${at}.timestamp: not ISO 8601`);
    const fields: Json[] = e.fields ?? [];
    if (fields.length > L.fields) p.push(`${at}.fields: at most ${L.fields}`);
    for (const [j, f] of fields.entries()) {
      if (len(f.name) < 1 || len(f.name) > L.fieldName) p.push(`${at}.fields.${j}.name: 1 to ${L.fieldName}`);
      if (len(f.value) < 1 || len(f.value) > L.fieldValue) p.push(`${at}.fields.${j}.value: 1 to ${L.fieldValue}`);
      total += len(f.name) + len(f.value);
    }
    if (len(e.footer?.text) > L.footer) p.push(`${at}.footer.text: at most ${L.footer}`);
    total += len(e.title) + len(e.description) + len(e.footer?.text) + len(e.author?.name);
  }
  if (total > L.total) p.push(`embeds: ${total} characters in total, more than ${L.total}`);
  return p;
}

const SCENARIOS: Record<string, Reply> = {
  gone: { status: 404, body: { message: 'Unknown Webhook', code: 10015 } },
  ratelimited: {
    status: 429,
    headers: { 'retry-after': '2', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '1.5' },
    body: { message: 'You are being rate limited.', retry_after: 1.5, global: false },
  },
  broken: { status: 500, body: { message: '500: Internal Server Error', code: 0 } },
};

export async function startFakeDiscord(): Promise<FakeDiscord> {
  const accepted: Json[] = [];
  const rejections: string[] = [];
  const server = await startFakeServer((req) => {
    const m = /^\/api\/webhooks\/(\d+)\/([\w-]+)(\?.*)?$/.exec(req.path);
    if (req.method !== 'POST' || !m) return { status: 404, body: { message: '404: Not Found', code: 0 } };
    let msg: Json;
    try {
      msg = JSON.parse(req.body);
    } catch {
      return { status: 400, body: { message: 'The request body contains invalid JSON.', code: 50109 } };
    }
    const problems = discordProblems(msg);
    if (problems.length) {
      rejections.push(...problems);
      return { status: 400, body: { message: problems[0] === 'Cannot send an empty message' ? problems[0] : 'Invalid Form Body', code: 50035, errors: problems } };
    }
    const scenario = SCENARIOS[m[2]!];
    if (scenario) return scenario;
    accepted.push(msg);
    return { status: 204 };
  });
  return Object.assign(server, { accepted, rejections });
}
