import { screen } from '@testing-library/react';
import type { UserEvent } from '@testing-library/user-event';

/** The header's "Shopping as" combobox. */
export function userPicker(): HTMLInputElement {
  return screen.getByRole('combobox', { name: 'Shopping as' }) as HTMLInputElement;
}

/**
 * Picks a demo user the way a shopper does: opens the picker and clicks the name. Waiting for the
 * option waits for /session, whatever else the page has loaded by then.
 */
export async function chooseUser(user: UserEvent, name: string) {
  await user.click(await screen.findByRole('combobox', { name: 'Shopping as' }));
  await user.click(await screen.findByRole('option', { name }));
}
