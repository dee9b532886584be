// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';
import { fakeApi } from '../test/fakeApi';
import { ApiError, apiUrl, getJson } from './client';

describe('apiUrl', () => {
  it('URL-encodes every query value, spaces as %20', () => {
    expect(apiUrl('search', { q: 'tent & stove 100%', u: 'user/1' })).toBe(
      '/Prod/search?q=tent%20%26%20stove%20100%25&u=user%2F1',
    );
    expect(apiUrl('search', { q: 'café+bike?' })).toBe('/Prod/search?q=caf%C3%A9%2Bbike%3F');
  });

  it('leaves out empty and missing values', () => {
    expect(apiUrl('recommendations', { sessionId: '', u: null, x: undefined })).toBe('/Prod/recommendations');
    expect(apiUrl('items', { limit: 0 })).toBe('/Prod/items?limit=0');
  });
});

describe('getJson', () => {
  it('returns the parsed body', async () => {
    fakeApi({ session: { body: { Region: 'eu-west-1' } } });
    await expect(getJson('session')).resolves.toEqual({ Region: 'eu-west-1' });
  });

  it("turns an error status into an ApiError with the API's message", async () => {
    fakeApi({ search: { status: 400, body: { message: 'q is required' } } });
    const error = await getJson('search').catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, message: 'q is required' });
  });

  it('explains an error without a JSON message by its status', async () => {
    vi.stubGlobal('fetch', async () => new Response('<html>Bad gateway</html>', { status: 502 }));
    await expect(getJson('session')).rejects.toMatchObject({ status: 502, message: 'The store answered 502.' });
  });

  it('reports an unreachable API as status 0 with a readable message', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(getJson('session')).rejects.toMatchObject({
      status: 0,
      message: 'The store could not be reached. Check your connection and try again.',
    });
  });

  it('rejects a successful answer that is not JSON', async () => {
    vi.stubGlobal('fetch', async () => new Response('<html></html>', { status: 200 }));
    await expect(getJson('session')).rejects.toThrow('not JSON');
  });
});
