// Webhook bodies as Chainloop's control plane builds them, field for field from its Go types
// (chainloop-dev/chainloop @40014e92b):
//   plugins/core/webhook/v1/webhook.go   webhookPayload{Metadata *sdk.ChainloopMetadata `json:"Metadata"`; Data []byte `json:"Data"`; Kind string `json:"Kind"`}
//   plugins/sdk/v1/fanout.go             ChainloopMetadata{Workflow{ID,Name,Team,Project}, WorkflowRun{ID,State,StartedAt,FinishedAt,RunnerType,RunURL,AttestationDigest}}
//                                        ExecuteAttestation{Envelope *dsse.Envelope; Hash crv1.Hash; Statement *intoto.Statement; Predicate chainloop.NormalizablePredicate}
//   internal/dispatcher/dispatcher.go    how the metadata and the attestation input are filled in
// Go's encoding/json: []byte → base64; time.Time → RFC 3339 with nanoseconds, the zero time
// as 0001-01-01T00:00:00Z; crv1.Hash → "sha256:<hex>" (TextMarshaler); untagged fields by
// their Go names; protobuf structs (the Statement) by their json tags, structpb values as
// {"fields":{…{"Kind":{"StringValue":…}}}}. No Go toolchain here, so this mirrors them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '../fixtures/chainloop');

export function readStatement(name: 'statement-with-violations' | 'statement-with-commit'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, 'attestations', `${name}.json`), 'utf8')) as Record<string, unknown>;
}

/** protojson of an in-toto Statement uses json_name: `_type`, `predicateType` (the DSSE payload). */
function protojsonStatement(statement: Record<string, unknown>): Record<string, unknown> {
  const { type, predicate_type, ...rest } = statement as { type?: string; predicate_type?: string };
  return { _type: type, predicateType: predicate_type, ...rest };
}

/** encoding/json of a structpb.Value (what the Statement field carries). */
function structpbValue(value: unknown): unknown {
  if (value === null || value === undefined) return { Kind: { NullValue: 0 } };
  if (typeof value === 'string') return { Kind: { StringValue: value } };
  if (typeof value === 'number') return { Kind: { NumberValue: value } };
  if (typeof value === 'boolean') return { Kind: { BoolValue: value } };
  if (Array.isArray(value)) return { Kind: { ListValue: { values: value.map(structpbValue) } } };
  return { Kind: { StructValue: structpbStruct(value as Record<string, unknown>) } };
}
function structpbStruct(value: Record<string, unknown>): unknown {
  return { fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structpbValue(v)])) };
}

export interface RunMetadata {
  workflow?: Partial<Record<'ID' | 'Name' | 'Team' | 'Project', string>>;
  run?: Partial<Record<'ID' | 'State' | 'StartedAt' | 'FinishedAt' | 'RunnerType' | 'RunURL' | 'AttestationDigest', string>>;
}

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function metadata(m: RunMetadata = {}): Record<string, unknown> {
  return {
    Workflow: { ID: '', Name: '', Team: '', Project: '', ...m.workflow },
    WorkflowRun: { ID: '', State: '', StartedAt: GO_ZERO_TIME, FinishedAt: GO_ZERO_TIME, RunnerType: '', RunURL: '', AttestationDigest: '', ...m.run },
  };
}

/** json.Marshal(webhookPayload{…}) */
export function webhookBody(meta: Record<string, unknown>, kind: string, data: Buffer): string {
  return JSON.stringify({ Metadata: meta, Data: data.toString('base64'), Kind: kind });
}

/** json.Marshal(ExecuteAttestation{…}) for a statement, as the dispatcher fills it in. */
export function executeAttestation(statement: Record<string, unknown>): Buffer {
  const payload = Buffer.from(JSON.stringify(protojsonStatement(statement)));
  const envelope = { payloadType: 'application/vnd.in-toto+json', payload: payload.toString('base64'), signatures: [{ keyid: '', sig: 'MEUCIQDbmEbX3JQ1Vw==' }] };
  const hash = `sha256:${createHash('sha256').update(JSON.stringify(envelope)).digest('hex')}`;
  const subjects = (statement.subject as Array<Record<string, unknown>>).map(({ annotations, ...s }) => ({ ...s, ...(annotations ? { annotations: structpbStruct(annotations as Record<string, unknown>) } : {}) }));
  const goStatement = { type: statement.type, subject: subjects, predicate_type: statement.predicate_type, predicate: structpbStruct(statement.predicate as Record<string, unknown>) };
  return Buffer.from(JSON.stringify({ Envelope: envelope, Hash: hash, Statement: goStatement, Predicate: statement.predicate }));
}

/** webhook.go testWebhookURL: sent once when the integration is registered. */
export function testWebhookBody(): string {
  return webhookBody(metadata({ workflow: { Name: 'test-webhook-workflow' }, run: { ID: 'test-webhook-run' } }), 'TEST_WEBHOOK', Buffer.from('{}'));
}
