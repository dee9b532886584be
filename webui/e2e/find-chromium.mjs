// Prints the Chromium the browser tests will use, or why there is none (exit 1); used by make.
import { findChromium } from './chromium.mjs';

try {
  console.log(findChromium());
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
