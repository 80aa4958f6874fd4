// The one Chromium launch for browser tests and benchmarks: Debian's Chromium driven by playwright-core, headless,
// with fake camera/microphone (WebRTC without devices or permission prompts) and no background traffic.
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Screen capture without a picker in headless runs.
  "--auto-select-desktop-capture-source=Entire screen",
  "--autoplay-policy=no-user-gesture-required",
];

/**
 * Launches Chromium (CHROMIUM_PATH, default /usr/bin/chromium); every launch gets a fresh temporary profile.
 * `executablePath`: e.g. a wrapper that runs it inside a network sandbox (helpers/netns.ts); `args`: extra flags.
 */
export async function launchBrowser(opts: { executablePath?: string; args?: string[] } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: opts.executablePath ?? process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
  });
}
