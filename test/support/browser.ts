import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (which never downloads a browser):
 *
 * - `HL7_TEST_CHROMIUM` names the executable; otherwise /usr/bin/chromium (the Debian wrapper),
 *   /usr/lib/chromium/chromium or /usr/bin/chromium-browser, the first that exists.
 * - Without one, browser suites are skipped with one loud line on stderr, unless
 *   `HL7_TEST_REQUIRE_BROWSER=1`, which makes importing this module fail instead (CI sets it;
 *   .ci/run installs `chromium`).
 * - The first launch prints the browser's version once, and warns when its major is far from the
 *   Chromium this playwright-core release was built against (the protocol may have moved).
 */

const required = process.env.HL7_TEST_REQUIRE_BROWSER === '1';
const candidates = [process.env.HL7_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/lib/chromium/chromium', '/usr/bin/chromium-browser'];

export const chromiumPath: string | null = candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path)) ?? null;

if (chromiumPath === null) {
  const message = 'Chromium not found (apt-get install chromium fonts-liberation)';
  if (required) throw new Error(`${message} and HL7_TEST_REQUIRE_BROWSER=1`);
  process.stderr.write(`${message}: SKIPPING browser tests (set HL7_TEST_REQUIRE_BROWSER=1 to fail instead)\n`);
}

export const browserAvailable = chromiumPath !== null;

let announced = false;

export async function launchBrowser(): Promise<Browser> {
  if (chromiumPath === null) throw new Error('no Chromium');
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
  if (!announced) {
    announced = true;
    const bundled = bundledChromium();
    const major = (version: string): number => Number(version.split('.')[0]);
    const far = bundled !== null && Math.abs(major(browser.version()) - major(bundled)) > 3;
    process.stderr.write(
      `browser tests: Chromium ${browser.version()} at ${chromiumPath}` +
        (bundled === null ? '\n' : `; playwright-core was built against ${bundled}${far ? ' (WARNING: majors differ by more than 3)' : ''}\n`),
    );
  }
  return browser;
}

function bundledChromium(): string | null {
  try {
    const root = dirname(createRequire(import.meta.url).resolve('playwright-core'));
    const list = JSON.parse(readFileSync(join(root, 'browsers.json'), 'utf8')) as { browsers: Array<{ name: string; browserVersion?: string }> };
    return list.browsers.find((b) => b.name === 'chromium')?.browserVersion ?? null;
  } catch {
    return null;
  }
}
