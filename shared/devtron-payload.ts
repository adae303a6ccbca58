// The body to paste into Devtron's webhook notification ("Data to be shared through
// webhook"): every variable Devtron offers (devtron pkg/notifier GetWebhookVariables), in
// triple braces so Devtron's Mustache rendering (devtron-labs/notifier) leaves slashes and
// other characters unescaped. Herald's `devtron` source also decodes the HTML entities
// that double braces produce, so an existing payload written with {{…}} works too.
export const DEVTRON_VARIABLES = [
  'eventType',
  'devtronPipelineType',
  'devtronAppName',
  'devtronAppId',
  'devtronEnvName',
  'devtronEnvId',
  'devtronCiPipelineId',
  'devtronCdPipelineId',
  'devtronTriggeredByEmail',
  'devtronContainerImageRepo',
  'devtronContainerImageTag',
  'devtronBuildGitCommitHash',
] as const;
export type DevtronVariable = (typeof DEVTRON_VARIABLES)[number];

/** The header that carries the source's secret (Devtron's webhook configuration takes custom headers). */
export const DEVTRON_SECRET_HEADER = 'X-Herald-Token';

export const DEVTRON_PAYLOAD_TEMPLATE = `{\n${DEVTRON_VARIABLES.map((v) => `  "${v}": "{{{${v}}}}"`).join(',\n')}\n}`;
