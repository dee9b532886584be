import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
  // Logic-only test files run in the node environment, which has no window.
  if (typeof window !== 'undefined') window.localStorage.clear();
});
