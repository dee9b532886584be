import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ProductImage } from './ProductImage';

describe('ProductImage', () => {
  it("loads a page's main photo at once and first", () => {
    render(<ProductImage src="/images/tent.svg" alt="Tent" eager />);
    const photo = screen.getByRole('img', { name: 'Tent' });
    expect(photo.getAttribute('loading')).toBe('eager');
    expect(photo.getAttribute('fetchpriority')).toBe('high');
  });

  it('leaves card images to load lazily, at the normal priority', () => {
    const { container } = render(<ProductImage src="/images/tent.svg" alt="" />);
    const photo = container.querySelector('img')!;
    expect(photo.getAttribute('loading')).toBe('lazy');
    expect(photo.getAttribute('fetchpriority')).toBe('auto');
  });
});
