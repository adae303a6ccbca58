// Reading a field's validation error the way assistive technology does: through the
// control's aria-describedby, so the test proves the error is tied to its field.
import type { Locator } from 'playwright-core';

export async function describedErrors(control: Locator): Promise<string> {
  const ids = (await control.getAttribute('aria-describedby'))?.split(/\s+/).filter(Boolean) ?? [];
  const page = control.page();
  const texts: string[] = [];
  for (const id of ids) {
    const element = page.locator(`[id="${id}"].field__error`);
    if ((await element.count()) > 0) texts.push((await element.textContent()) ?? '');
  }
  return texts.join(' | ');
}

/** The field is marked invalid and its own error (not just a summary) says `pattern`. */
export async function fieldError(control: Locator): Promise<{ invalid: boolean; message: string }> {
  return { invalid: (await control.getAttribute('aria-invalid')) === 'true', message: await describedErrors(control) };
}
