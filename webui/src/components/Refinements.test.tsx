import { act, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Refinement } from '../api/store';
import { item } from '../test/fixtures';
import { NARROW_SCREEN, Refinements } from './Refinements';

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

/** A window whose width matches NARROW_SCREEN or not, and can be resized. */
function screenWidth(narrow: boolean) {
  const listeners = new Set<() => void>();
  const list = {
    get matches() {
      return narrow;
    },
    addEventListener: (_: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_: string, listener: () => void) => listeners.delete(listener),
  };
  const matchMedia = vi.fn((query: string) => {
    expect(query).toBe(NARROW_SCREEN);
    return list;
  });
  vi.stubGlobal('matchMedia', matchMedia);
  return (next: boolean) => {
    narrow = next;
    act(() => listeners.forEach((listener) => listener()));
  };
}

describe('refinements on a phone', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const disclosure = () => screen.getByRole('form', { name: 'Filter and sort' }).querySelector('details')!;

  it('are in a "Filter & sort" disclosure, closed until opened, that says how many are in use', async () => {
    screenWidth(true);
    renderPending({ brand: ['Acme', 'Cobalt'], maxPrice: '20', sort: 'price-desc' });
    const user = userEvent.setup();
    expect(disclosure().open).toBe(false);
    const summary = disclosure().querySelector('summary')!;
    expect(summary.textContent).toBe('Filter & sort · 4 in use');

    await user.click(summary);
    expect(disclosure().open).toBe(true);
    await user.click(screen.getByRole('checkbox', { name: 'Acme' }));
    expect(summary.textContent).toBe('Filter & sort · 3 in use');
    expect(disclosure().open).toBe(true);
  });

  it('say nothing is in use when nothing is', () => {
    screenWidth(true);
    renderPending();
    expect(disclosure().querySelector('summary')!.textContent).toBe('Filter & sort');
  });

  it('are always open on a wider screen, also when the phone is turned', () => {
    const resize = screenWidth(false);
    renderPending();
    expect(disclosure().open).toBe(true);
    resize(true);
    expect(disclosure().open).toBe(false);
    resize(false);
    expect(disclosure().open).toBe(true);
  });
});
