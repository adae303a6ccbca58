// How each severity looks wherever Herald writes text (template variables, channel
// headlines, popups): defined once.
import type { Severity } from './event.js';

export const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = { critical: '🔴', warning: '🟠', success: '✅', info: 'ℹ️' };
