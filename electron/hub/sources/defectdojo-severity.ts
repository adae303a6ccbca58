// DefectDojo severities as Herald sees them: its rank for thresholds, Herald's own level.
import { DEFECTDOJO_SEVERITIES, type DefectdojoSeverity } from '../../../shared/defectdojo-severities.js';
import type { Severity } from '../../../shared/event.js';

export const SEVERITY_RANK: Record<DefectdojoSeverity, number> = { Info: 0, Low: 1, Medium: 2, High: 3, Critical: 4 };
const HERALD_SEVERITY: Record<DefectdojoSeverity, Severity> = { Info: 'info', Low: 'info', Medium: 'warning', High: 'critical', Critical: 'critical' };

/** DefectDojo's severity by its name, in any letter case (the API says `High`, webhooks `high`). */
export function severityNamed(name: string | undefined): DefectdojoSeverity | undefined {
  const lower = name?.toLowerCase();
  return DEFECTDOJO_SEVERITIES.find((s) => s.toLowerCase() === lower);
}

export function heraldSeverity(severity: DefectdojoSeverity): Severity {
  return HERALD_SEVERITY[severity];
}

export function meetsThreshold(severity: DefectdojoSeverity, minimum: DefectdojoSeverity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[minimum];
}
