// What Herald reads from a Chainloop attestation as the control plane's webhook plugin
// sends it: `Data` is Go's json.Marshal of sdk.ExecuteAttestation
// (app/controlplane/plugins/sdk/v1/fanout.go) — {Envelope, Hash, Statement, Predicate}.
//
// - Envelope: the DSSE envelope; its `payload` is the in-toto statement as protojson wrote
//   it (`_type`, `subject`, `predicateType`, `predicate`). This is the reliable copy.
// - Predicate: the Chainloop predicate (pkg/attestation/renderer/chainloop/v02.go) with its
//   own JSON tags; the same object as the statement's predicate.
// - Statement: the in-toto protobuf through encoding/json (structpb values come out as
//   {"fields":{…{"Kind":{"StringValue":…}}}}): not read, the envelope says the same.
//
// Policy outcome: the predicate's counters (policyHasViolations, policyViolationsCount,
// policyEvaluationsCount; v0.150+) and, where inline, the evaluations themselves
// (`policyEvaluations`, or `policy_evaluations` in older attestations); newer control planes
// keep the full evaluations in CAS (`policyEvaluationsRef`) and only the counters inline.
import { isObject, optionalText } from './poll-http.js';

type Obj = Record<string, unknown>;

export interface PolicyViolation {
  policy: string;
  material?: string;
  message: string;
}

export interface AttestationFacts {
  /** The git commit the attestation was made at (the `git.head` subject), when there is one. */
  commit?: string;
  /** Container images among the subjects: `name:tag` or `name@sha256:…`. */
  images: string[];
  metadata: {
    name?: string;
    project?: string;
    projectVersion?: string;
    organization?: string;
    team?: string;
    workflowName?: string;
    contractName?: string;
  };
  runnerType?: string;
  /** Undefined when the attestation evaluated no policies. */
  policy?: {
    evaluations: number;
    violations: number;
    hasViolations: boolean;
    gated: boolean;
    blocked: boolean;
    strategy?: string;
    /** The inline violations (up to 20), when the predicate carries them. */
    listed: PolicyViolation[];
  };
}

/** Base64 (Go's []byte and DSSE payloads) → the JSON it encodes, or undefined. */
export function decodeBase64Json(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The in-toto statement inside a DSSE envelope (payload base64 of the statement JSON). */
export function statementOf(envelope: unknown): Obj | undefined {
  if (!isObject(envelope)) return undefined;
  const statement = decodeBase64Json(envelope.payload);
  return isObject(statement) ? statement : undefined;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

function evaluationsOf(predicate: Obj): PolicyViolation[] {
  const groups = isObject(predicate.policyEvaluations) ? predicate.policyEvaluations : isObject(predicate.policy_evaluations) ? predicate.policy_evaluations : {};
  const out: PolicyViolation[] = [];
  for (const list of Object.values(groups)) {
    if (!Array.isArray(list)) continue;
    for (const evaluation of list.filter(isObject)) {
      const violations = Array.isArray(evaluation.violations) ? evaluation.violations.filter(isObject) : [];
      for (const v of violations) {
        if (v.suppress === true) continue;
        const material = optionalText(evaluation.materialName, 200) ?? optionalText(evaluation.material_name, 200);
        out.push({ policy: optionalText(evaluation.name, 200) ?? 'policy', ...(material && { material }), message: optionalText(v.message, 500) ?? 'violation' });
      }
    }
  }
  return out;
}

function countEvaluations(predicate: Obj): number {
  const groups = isObject(predicate.policyEvaluations) ? predicate.policyEvaluations : isObject(predicate.policy_evaluations) ? predicate.policy_evaluations : {};
  return Object.values(groups).reduce<number>((n, list) => n + (Array.isArray(list) ? list.length : 0), 0);
}

function policyOf(predicate: Obj): AttestationFacts['policy'] {
  const listed = evaluationsOf(predicate);
  const evaluations = num(predicate.policyEvaluationsCount) ?? countEvaluations(predicate);
  const violations = num(predicate.policyViolationsCount) ?? listed.length;
  const hasViolations = predicate.policyHasViolations === true || violations > 0 || listed.length > 0;
  if (evaluations === 0 && !hasViolations) return undefined;
  const strategy = optionalText(predicate.policyCheckBlockingStrategy, 50);
  return {
    evaluations,
    violations: Math.max(violations, listed.length),
    hasViolations,
    gated: predicate.policyHasGatedViolations === true,
    blocked: predicate.policyAttBlocked === true,
    ...(strategy && { strategy }),
    listed: listed.slice(0, 20),
  };
}

/** The commit and images among the statement's subjects. */
function subjectsOf(statement: Obj | undefined): Pick<AttestationFacts, 'commit' | 'images'> {
  const subjects = Array.isArray(statement?.subject) ? statement.subject.filter(isObject) : [];
  let commit: string | undefined;
  const images: string[] = [];
  for (const s of subjects) {
    const digest = isObject(s.digest) ? s.digest : {};
    if (s.name === 'git.head') {
      commit = optionalText(digest.sha1, 100) ?? optionalText(digest.sha256, 100) ?? commit;
      continue;
    }
    const annotations = isObject(s.annotations) ? s.annotations : {};
    if (annotations['chainloop.material.type'] === 'CONTAINER_IMAGE') {
      const name = optionalText(s.name, 250);
      if (!name) continue;
      const tag = optionalText(annotations['chainloop.material.image.tag'], 100);
      const sha = optionalText(digest.sha256, 100);
      images.push(tag ? `${name}:${tag}` : sha ? `${name}@sha256:${sha}` : name);
    }
  }
  return { ...(commit && { commit }), images };
}

/** Facts from `ExecuteAttestation` as JSON (the decoded `Data`), or undefined if it is not one. */
export function attestationFacts(attestation: unknown): AttestationFacts | undefined {
  if (!isObject(attestation)) return undefined;
  const statement = statementOf(attestation.Envelope);
  const predicate = isObject(statement?.predicate) ? statement.predicate : isObject(attestation.Predicate) ? attestation.Predicate : undefined;
  if (!statement && !predicate) return undefined;
  const p = predicate ?? {};
  const metadata = isObject(p.metadata) ? p.metadata : {};
  const text = (key: string) => optionalText(metadata[key], 300);
  const runnerType = optionalText(p.runnerType, 100);
  const policy = policyOf(p);
  return {
    ...subjectsOf(statement),
    metadata: {
      ...(text('name') && { name: text('name') }),
      ...(text('project') && { project: text('project') }),
      ...(text('projectVersion') && { projectVersion: text('projectVersion') }),
      ...(text('organization') && { organization: text('organization') }),
      ...(text('team') && { team: text('team') }),
      ...(text('workflowName') && { workflowName: text('workflowName') }),
      ...(text('contractName') && { contractName: text('contractName') }),
    },
    ...(runnerType && { runnerType }),
    ...(policy && { policy }),
  };
}
