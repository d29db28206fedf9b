/// <reference lib="dom" />
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { testEnv } from "@hub/test-support";
import { type Browser, chromium, type Page } from "playwright-core";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    // Debian's chromium (or CHROMIUM_PATH): Playwright's own browser downloads are never used.
    executablePath: testEnv().CHROMIUM_PATH,
    headless: true,
    // Without the background-networking flags Chromium keeps dialling out, refused by the closed network.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}

export const widths = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

export const ARTEFACTS = path.resolve(import.meta.dirname, "../../test-results");

/** A full-page screenshot per width, written as a test artefact. */
export async function screenshots(page: Page, name: string): Promise<void> {
  const dir = path.join(ARTEFACTS, "screenshots");
  await mkdir(dir, { recursive: true });
  const original = page.viewportSize();
  for (const [label, size] of Object.entries(widths)) {
    await page.setViewportSize(size);
    await page.screenshot({ path: path.join(dir, `${name}-${label}-${size.width}.png`), fullPage: true });
  }
  if (original) await page.setViewportSize(original);
}

/** axe's serious and critical violations of the page as it is now (at both widths). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const found: string[] = [];
  const original = page.viewportSize();
  for (const [label, size] of Object.entries(widths)) {
    await page.setViewportSize(size);
    const results = await new AxeBuilder({ page }).analyze();
    for (const violation of results.violations) {
      if (violation.impact === "serious" || violation.impact === "critical") {
        found.push(
          `${label}: ${violation.id} (${violation.impact}) ${violation.help}: ${violation.nodes
            .map((node) => node.target.join(" "))
            .slice(0, 3)
            .join(", ")}`,
        );
      }
    }
  }
  if (original) await page.setViewportSize(original);
  return found;
}

/** Presses Tab (only the keyboard) until `selector` has the focus; fails after `max` presses. */
export async function tabTo(page: Page, selector: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`${selector} never received the focus by Tab`);
}
