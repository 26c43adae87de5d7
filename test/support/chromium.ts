import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { Browser } from 'puppeteer-core';

/** Debian's chromium package; `.ci/run` installs it when missing. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const chromiumInstalled = existsSync(CHROMIUM_PATH);

/**
 * Browser suites run wherever Chromium is installed, and always in CI (where a missing
 * Chromium fails them). On a laptop without it they skip, saying so in one line.
 */
export const describeWithChromium = chromiumInstalled || process.env.CI ? describe : describe.skip;
if (!chromiumInstalled && !process.env.CI) {
  process.stderr.write(
    `Browser suites skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium).\n`,
  );
}

/** A headless Chromium with a fresh profile, nothing fetched from the network on its own. */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  if (!chromiumInstalled) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: apt-get install -y chromium`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'kls-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    userDataDir: profile,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
