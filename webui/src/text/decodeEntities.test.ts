import { describe, expect, it, vi } from 'vitest';
import { decodeEntities } from './decodeEntities';

describe('decodeEntities', () => {
  it('decodes named and numeric entities', () => {
    expect(decodeEntities('Men&#39;s Trail Shoe &amp; Socks &ndash; 2&quot; &#x2122;')).toBe(
      'Men\'s Trail Shoe & Socks – 2" ™',
    );
  });

  it('keeps only text, so markup in a title can never render', () => {
    expect(decodeEntities('Bike <img src=x onerror=alert(1)>Light &lt;b&gt;')).toBe('Bike Light <b>');
  });

  it('returns plain text unchanged', () => {
    expect(decodeEntities('Yoga Mat, 6mm')).toBe('Yoga Mat, 6mm');
  });

  it('parses each text once', () => {
    const parse = vi.spyOn(DOMParser.prototype, 'parseFromString');
    const title = 'Kids&#39; Rain Jacket &amp; Hat';
    expect(decodeEntities(title)).toBe("Kids' Rain Jacket & Hat");
    expect(decodeEntities(title)).toBe("Kids' Rain Jacket & Hat");
    expect(parse).toHaveBeenCalledTimes(1);
  });
});
