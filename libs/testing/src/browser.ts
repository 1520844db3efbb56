import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Installs Debian's chromium when it is missing (fresh machines start without it), saying so. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  process.stderr.write(
    `${CHROMIUM} not found: installing Debian's chromium (apt-get update && apt-get install -y chromium)\n`,
  );
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit' });
  if (!existsSync(CHROMIUM)) throw new Error('chromium could not be installed');
}

/** Headless Debian Chromium driven by playwright-core (which never downloads a browser). */
export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
