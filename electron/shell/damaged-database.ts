// A desktop start refused for a damaged database (store/integrity.ts): the hub's words send
// the user to `npm run db -- recover`, which an installed app does not have. So the app asks
// instead — recover now (the db tool's own salvage, in this process: the hub is not running
// and has let go of the data dir) and start again, or quit and leave the files as they are.
import type { Dialog } from 'electron';

export interface RecoveryChoice {
  /** The start failed for this reason: damage is offered recovery, anything else is not. */
  error: unknown;
  dialog: Pick<Dialog, 'showMessageBox' | 'showErrorBox'>;
  /** recoverDatabase (db-tool.ts) on the data dir; reports what it copied and kept. */
  recover(out: (line: string) => void): void;
}

export type RecoveryOutcome = 'not-damaged' | 'recovered' | 'declined' | 'failed';

export function isDatabaseDamaged(error: unknown): error is Error & { file: string; problem: string } {
  return error instanceof Error && error.name === 'DatabaseDamaged' && typeof (error as { problem?: unknown }).problem === 'string';
}

export async function offerRecovery({ error, dialog, recover }: RecoveryChoice): Promise<RecoveryOutcome> {
  if (!isDatabaseDamaged(error)) return 'not-damaged';
  const { response } = await dialog.showMessageBox({
    type: 'error',
    title: 'Herald’s database is damaged',
    message: 'Herald’s database is damaged, so Herald did not start.',
    detail: `${error.file}: ${error.problem}\n\nRecover copies everything that can still be read into a new database and starts Herald on it; the damaged files are kept beside it (herald.db.damaged-<time>). Quit leaves everything as it is.`,
    buttons: ['Recover and start Herald', 'Quit'],
    defaultId: 0,
    cancelId: 1,
    noLink: true,
  });
  if (response !== 0) return 'declined';
  const lines: string[] = [];
  try {
    recover((line) => lines.push(line));
  } catch (err) {
    dialog.showErrorBox('Herald could not recover its database', `${err instanceof Error ? err.message : String(err)}${lines.length ? `\n\n${lines.join('\n')}` : ''}`);
    return 'failed';
  }
  await dialog.showMessageBox({ type: 'info', title: 'Herald recovered its database', message: 'Herald recovered its database and starts again.', detail: lines.join('\n'), buttons: ['OK'] });
  return 'recovered';
}
