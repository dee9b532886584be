import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

export const HOW_TO_GET_CHROMIUM =
  'The browser tests need Chromium or Chrome; Playwright never downloads one here.\n' +
  '  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y chromium\n' +
  '  (`make test-webui` does this by itself when run as root on a system with apt-get)\n' +
  '  Elsewhere: install Chromium or Chrome, or set CHROMIUM_PATH to its executable.';

/**
 * Finds the browser to drive: CHROMIUM_PATH when set (and then only that), else Debian's
 * /usr/bin/chromium, else a Chromium or Chrome on PATH. Throws with install instructions when
 * there is none: the browser tests must fail loudly, never skip.
 */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) {
    if (isExecutable(env.CHROMIUM_PATH)) return env.CHROMIUM_PATH;
    throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file.\n${HOW_TO_GET_CHROMIUM}`);
  }
  const directories = ['/usr/bin', ...(env.PATH ?? '').split(delimiter).filter(Boolean)];
  for (const name of CANDIDATES) {
    for (const directory of directories) {
      const path = join(directory, name);
      if (isExecutable(path)) return path;
    }
  }
  throw new Error(`No Chromium or Chrome found (looked for ${CANDIDATES.join(', ')} on PATH).\n${HOW_TO_GET_CHROMIUM}`);
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
