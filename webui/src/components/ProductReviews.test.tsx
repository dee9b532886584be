import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Review } from '../api/types';
import { ProductReviews } from './ProductReviews';

const REVIEWS: Review[] = [
  { name: 'Maya P.', stars: 5, headline: 'Love it', text: 'Sturdy without being heavy.', date: '2023-11-02' },
  { stars: 3.5, headline: 'Mixed feelings', date: '2023-06-30' },
  { name: 'Leo', stars: 1, text: 'It broke within a week.', date: '2023-01-09' },
];

describe('ProductReviews', () => {
  it('lists each review with its stars in words, name, date, headline and text, newest first', () => {
    render(<ProductReviews reviews={REVIEWS} />);
    const section = screen.getByRole('region', { name: 'Reviews' });
    expect(within(section).getByRole('heading', { level: 2, name: 'Reviews' })).toBeTruthy();
    const reviews = within(section).getAllByRole('listitem');
    expect(reviews).toHaveLength(3);

    const [first, second, third] = reviews as [HTMLElement, HTMLElement, HTMLElement];
    expect(within(first).getByRole('img', { name: 'Rated 5 out of 5' })).toBeTruthy();
    expect(within(first).getByRole('heading', { level: 3, name: 'Love it' })).toBeTruthy();
    expect(within(first).getByText('Maya P.')).toBeTruthy();
    expect(within(first).getByText('2 November 2023').getAttribute('datetime')).toBe('2023-11-02');
    expect(within(first).getByText('Sturdy without being heavy.')).toBeTruthy();

    expect(within(second).getByRole('img', { name: 'Rated 3.5 out of 5' })).toBeTruthy();
    expect(within(second).getByText('A shopper')).toBeTruthy(); // no name in the data
    expect(within(third).getByRole('img', { name: 'Rated 1 out of 5' })).toBeTruthy();
    expect(within(third).queryByRole('heading')).toBeNull(); // no headline: no empty heading
    expect(within(third).getByText('It broke within a week.')).toBeTruthy();
  });

  it('shows nothing, not even the heading, without reviews or with ratings that have no words', () => {
    const { container, rerender } = render(<ProductReviews />);
    expect(container.innerHTML).toBe('');
    rerender(<ProductReviews reviews={[]} />);
    expect(container.innerHTML).toBe('');
    rerender(<ProductReviews reviews={[{ stars: 4, headline: '  ', date: '2023-01-01' }]} />);
    expect(container.innerHTML).toBe('');
    expect(screen.queryByRole('heading', { name: 'Reviews' })).toBeNull();
  });
});
