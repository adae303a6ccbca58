// The layout check `npm run lint:layers` runs (scripts/check-test-layout.mjs): on a small
// tree of its own, a test in the mirror passes; one in the old flat place, or in a folder
// no source has, fails with the file named and where it belongs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '../../../scripts/check-test-layout.mjs');
let root: string;
const write = (file: string, text = '') => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
};
const check = () => {
  const run = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
};

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-layout-'));
  write('electron/hub/store/events.ts');
  write('electron/hub/channels/email.ts');
  write('electron/shell/tray.ts');
  write('renderer/lib/rule-draft.ts');
  write('shared/rules.ts');
  write('test/unit/hub/store/events.test.ts');
  write('test/unit/renderer/lib/rule-draft.test.ts');
  write('test/integration/hub/channels/email-rules-hub.test.ts');
  write('test/e2e/digest.e2e.test.ts');
  write('test/helpers/fake-event.ts');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the test layout check', () => {
  it('passes a tree whose tests mirror the source folders', () => {
    expect(check()).toEqual({ status: 0, out: '✔ test layout: 4 test files in the source tree\'s mirror\n' });
  });

  it('names a test in the old flat place and the folder its prefix stood for', () => {
    write('test/unit/store-events.test.ts');
    const { status, out } = check();
    expect(status).toBe(1);
    expect(out).toContain('test/unit/store-events.test.ts: directly in test/unit/ — move it to test/unit/hub/store/events.test.ts');
  });

  it('names a test in a folder no source has, with the folder of what it imports', () => {
    write('test/integration/mail/recipients.test.ts', "import { x } from '../../../electron/hub/channels/email.js';\nimport { y } from '../../../shared/rules.js';\n");
    const { status, out } = check();
    expect(status).toBe(1);
    expect(out).toContain('test/integration/mail/recipients.test.ts: in test/integration/mail/, which mirrors no source folder — move it to test/integration/hub/channels/');
  });

  it('keeps browser tests flat in test/e2e', () => {
    write('test/e2e/rules/form.e2e.test.ts');
    expect(check().out).toContain('test/e2e/rules/form.e2e.test.ts: browser tests are test/e2e/<name>.e2e.test.ts');
  });
});
