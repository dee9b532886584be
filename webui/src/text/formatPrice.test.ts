// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { formatPrice } from './formatPrice';

describe('formatPrice', () => {
  it('formats numbers and numeric strings as US dollars', () => {
    expect(formatPrice(12.5)).toBe('$12.50');
    expect(formatPrice('1299')).toBe('$1,299.00');
    expect(formatPrice('$7.9')).toBe('$7.90');
  });

  it('shows odd strings as they are and nothing for a missing price', () => {
    expect(formatPrice('see store')).toBe('see store');
    expect(formatPrice(undefined)).toBeNull();
    expect(formatPrice('')).toBeNull();
  });
});
