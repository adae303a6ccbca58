// A strict fake of a Teams webhook on loopback. Workflows messages must carry Adaptive
// Cards that the `adaptivecards` library parses without a single error or warning; a
// MessageCard (legacy connectors) needs a summary or text. Over 28 KB → 413. The last
// path segment picks an answer: gone → 404, forbidden → 403, throttled → 429
// Retry-After: 2, broken → 502; otherwise 202 (Workflows) or 200 "1" (connector).
import { createRequire } from 'node:module';
import { startFakeServer, type FakeServer, type Reply } from './fake-http.js';

// The package's ESM build uses extensionless imports Node cannot load; its UMD build works.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

type Json = Record<string, any>;
export const TEAMS_MAX_BYTES = 28 * 1024;

export interface FakeTeams extends FakeServer {
  accepted: Json[];
  rejections: string[];
}

/** Everything the Adaptive Cards library objects to in a card, as messages. */
export function adaptiveCardProblems(content: unknown): string[] {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  card.parse(content as never, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(context.getEventAt(i).message);
  const validation = card.validateProperties();
  for (const event of validation.validationEvents) problems.push(event.message);
  const c = content as Json;
  if (c?.type !== 'AdaptiveCard') problems.push('content.type must be AdaptiveCard');
  if (typeof c?.version !== 'string' || !/^1\.[0-5]$/.test(c.version)) problems.push(`unsupported card version ${JSON.stringify(c?.version)}`);
  return problems;
}

const SCENARIOS: Record<string, Reply> = {
  gone: { status: 404, body: { error: { code: 'WorkflowNotFound', message: 'The workflow was not found.' } } },
  forbidden: { status: 403, body: { error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated.' } } },
  throttled: { status: 429, headers: { 'retry-after': '2' }, body: { error: { code: 'WorkflowTriggeredTooManyTimes', message: 'Rate limit is exceeded.' } } },
  broken: { status: 502, body: { error: { code: 'BadGateway', message: 'Bad gateway.' } } },
};

export async function startFakeTeams(): Promise<FakeTeams> {
  const accepted: Json[] = [];
  const rejections: string[] = [];
  const refuse = (code: string, message: string): Reply => {
    rejections.push(message);
    return { status: 400, body: { error: { code, message } } };
  };
  const server = await startFakeServer((req) => {
    if (req.method !== 'POST') return { status: 405, body: { error: { code: 'MethodNotAllowed', message: 'POST only' } } };
    if (Buffer.byteLength(req.body) > TEAMS_MAX_BYTES) {
      rejections.push(`${Buffer.byteLength(req.body)} bytes`);
      return { status: 413, body: { error: { code: 'RequestEntityTooLarge', message: 'The request content exceeds the maximum size.' } } };
    }
    let msg: Json;
    try {
      msg = JSON.parse(req.body);
    } catch {
      return refuse('InvalidRequestContent', 'The request content is not valid JSON.');
    }
    if (msg['@type'] === 'MessageCard') {
      if (!msg.summary && !msg.text) return { status: 400, body: 'Summary or Text is required.' };
    } else {
      if (msg.type !== 'message' || !Array.isArray(msg.attachments) || msg.attachments.length === 0) {
        return refuse('InvalidRequestContent', 'Expected {type: "message", attachments: [...]}.');
      }
      for (const a of msg.attachments) {
        if (a.contentType !== 'application/vnd.microsoft.card.adaptive') return refuse('InvalidRequestContent', `unsupported contentType ${a.contentType}`);
        const problems = adaptiveCardProblems(a.content);
        if (problems.length) return refuse('InvalidCard', problems.join('; '));
      }
    }
    const scenario = SCENARIOS[req.path.split('?')[0]!.split('/').pop()!];
    if (scenario) return scenario;
    accepted.push(msg);
    return msg['@type'] === 'MessageCard' ? { status: 200, body: '1' } : { status: 202 };
  });
  return Object.assign(server, { accepted, rejections });
}
