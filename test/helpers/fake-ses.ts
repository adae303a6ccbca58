// A strict fake of the SESv2 SendEmail API on loopback (`POST /v2/email/outbound-emails`,
// restJson1). It checks what SES checks first — a SigV4 Authorization for service `ses`
// in the client's region, JSON with FromEmailAddress, Destination and a Raw MIME message —
// and answers like SES: 200 {MessageId}, or an error named in `x-amzn-ErrorType`.
//   access key AKIDBAD…        → 403 UnrecognizedClientException
//   sender unverified@…        → 400 MessageRejected
//   recipient throttle@…       → 429 TooManyRequestsException
import { startFakeServer, type FakeServer, type Reply } from './fake-http.js';

type Json = Record<string, any>;

export interface SentEmail {
  from: string;
  to: string[];
  raw: string;
}

export interface FakeSes extends FakeServer {
  sent: SentEmail[];
  rejections: string[];
}

const sesError = (status: number, type: string, message: string): Reply => ({
  status,
  headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.ses/` },
  body: { message },
});

export async function startFakeSes(region: string): Promise<FakeSes> {
  const sent: SentEmail[] = [];
  const rejections: string[] = [];
  const refuse = (why: string, reply: Reply) => {
    rejections.push(why);
    return reply;
  };
  const server = await startFakeServer((req) => {
    if (req.method !== 'POST' || req.path !== '/v2/email/outbound-emails') {
      return sesError(404, 'NotFoundException', `no route ${req.method} ${req.path}`);
    }
    const auth = String(req.headers.authorization ?? '');
    const sig = /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/ses\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/.exec(auth);
    if (!sig) return refuse(`bad Authorization: ${auth}`, sesError(403, 'IncompleteSignatureException', 'Authorization header requires a SigV4 signature.'));
    if (sig[3] !== region) return refuse(`region ${sig[3]}`, sesError(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${sig[3]}'.`));
    if (!/^\d{8}T\d{6}Z$/.test(String(req.headers['x-amz-date']))) return refuse('x-amz-date', sesError(403, 'IncompleteSignatureException', 'x-amz-date missing'));
    if (!sig[4]!.split(';').includes('host') || !sig[4]!.split(';').includes('x-amz-date')) return refuse('signed headers', sesError(403, 'SignatureDoesNotMatch', 'host and x-amz-date must be signed'));
    if (sig[1]!.startsWith('AKIDBAD')) return sesError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (!String(req.headers['content-type']).startsWith('application/json')) return refuse('content-type', sesError(400, 'BadRequestException', 'Expected JSON'));

    let body: Json;
    try {
      body = JSON.parse(req.body);
    } catch {
      return refuse('json', sesError(400, 'BadRequestException', 'Invalid JSON'));
    }
    const to: unknown = body.Destination?.ToAddresses;
    const raw64: unknown = body.Content?.Raw?.Data;
    if (typeof raw64 !== 'string' || !Array.isArray(to) || to.length === 0) {
      return refuse(`shape: ${req.body.slice(0, 200)}`, sesError(400, 'BadRequestException', 'Content.Raw.Data and Destination.ToAddresses are required'));
    }
    const raw = Buffer.from(raw64, 'base64').toString('utf8');
    if (!/^From: /m.test(raw) || !/^Subject: /m.test(raw)) return refuse('raw', sesError(400, 'BadRequestException', 'Raw message lacks From or Subject'));
    const from: string = body.FromEmailAddress ?? /^From: (.*)$/m.exec(raw)?.[1] ?? '';
    if (from.includes('unverified@')) return sesError(400, 'MessageRejected', `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${from}`);
    if (to.some((t: string) => t.startsWith('throttle@'))) return sesError(429, 'TooManyRequestsException', 'Maximum sending rate exceeded.');
    sent.push({ from, to: to as string[], raw });
    return { status: 200, body: { MessageId: `0100018f-${sent.length.toString().padStart(4, '0')}-fake` } };
  });
  return Object.assign(server, { sent, rejections });
}
