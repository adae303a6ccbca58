// DefectDojo's finding severities, lowest first: the config schema and the sources share
// them (a module of its own, so the ingress thread need not load the config schemas).
export const DEFECTDOJO_SEVERITIES = ['Info', 'Low', 'Medium', 'High', 'Critical'] as const;

export type DefectdojoSeverity = (typeof DEFECTDOJO_SEVERITIES)[number];
