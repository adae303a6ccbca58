// zod compiles fast parsers with `new Function` when it may; under the renderer's CSP
// (no 'unsafe-eval') even the probe is reported as a violation. Interpreted parsing is
// plenty fast for forms and api payloads.
import { z } from 'zod';

z.config({ jitless: true });
