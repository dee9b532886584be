import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Refinement } from '../api/store';
import { item } from '../test/fixtures';
import { Refinements } from './Refinements';

const SORTS: [string, string][] = [
  ['popularity', 'Most popular'],
  ['price-desc', 'Price: high to low'],
];
const items = [item('A1', { brand: 'Acme' }), item('B1', { brand: 'Summit &amp; Co' }), item('C1', { brand: 'Cobalt' })];

/**
 * The parent here never passes the change back, as when the router has not yet rendered the
 * address a change navigated to (its updates are transitions): the controls must still show it.
 */
function renderPending(refinement: Refinement = { brand: [] }) {
  const onChange = vi.fn<(next: Refinement) => void>();
  const view = render(<Refinements refinement={refinement} onChange={onChange} items={items} sorts={SORTS} />);
  return { onChange, view };
}

describe('refinements', () => {
  it('shows a click at once, before the address has changed', async () => {
    const { onChange } = renderPending();
    const user = userEvent.setup();

    const acme = screen.getByRole('checkbox', { name: 'Acme' });
    await user.click(acme);
    expect((acme as HTMLInputElement).checked).toBe(true);
    expect(onChange).toHaveBeenLastCalledWith({ brand: ['Acme'] });

    await user.click(acme);
    expect((acme as HTMLInputElement).checked).toBe(false);
    expect(onChange).toHaveBeenLastCalledWith({ brand: [] });

    await user.selectOptions(screen.getByRole('combobox', { name: 'Sort by' }), 'Price: high to low');
    expect((screen.getByRole('combobox', { name: 'Sort by' }) as HTMLSelectElement).value).toBe('price-desc');
  });

  it('builds each change on the previous one, not on the refinement the address still shows', async () => {
    const { onChange } = renderPending({ brand: ['Cobalt'] });
    const user = userEvent.setup();

    await user.click(screen.getByRole('checkbox', { name: 'Cobalt' }));
    await user.click(screen.getByRole('checkbox', { name: 'Summit & Co' }));
    expect(onChange).toHaveBeenLastCalledWith({ brand: ['Summit &amp; Co'] });

    await user.type(screen.getByRole('spinbutton', { name: 'Min' }), '10');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(onChange).toHaveBeenLastCalledWith({ brand: ['Summit &amp; Co'], minPrice: '10', maxPrice: undefined });
  });

  it('follows the address when it changes (Back), keeping a price typed but not applied', () => {
    const onChange = vi.fn();
    const view = render(<Refinements refinement={{ brand: ['Acme'], minPrice: '5' }} onChange={onChange} items={items} sorts={SORTS} />);
    fireEvent.change(screen.getByRole('spinbutton', { name: 'Max' }), { target: { value: '99' } });

    view.rerender(<Refinements refinement={{ brand: [], minPrice: '5' }} onChange={onChange} items={items} sorts={SORTS} />);
    expect((screen.getByRole('checkbox', { name: 'Acme' }) as HTMLInputElement).checked).toBe(false);
    expect((screen.getByRole('spinbutton', { name: 'Max' }) as HTMLInputElement).value).toBe('99');

    view.rerender(<Refinements refinement={{ brand: [], sort: 'price-desc' }} onChange={onChange} items={items} sorts={SORTS} />);
    expect((screen.getByRole('spinbutton', { name: 'Min' }) as HTMLInputElement).value).toBe('');
    expect((screen.getByRole('combobox', { name: 'Sort by' }) as HTMLSelectElement).value).toBe('price-desc');
    expect(onChange).not.toHaveBeenCalled();
  });
});
