/**
 * The app's settings: one JSON file in Electron's user data folder. Small (window
 * placement and the like), read once at start, written atomically (temp file + rename)
 * so a crash mid-write never leaves a broken file behind.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const boundsSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(400).max(20_000),
  height: z.number().int().min(300).max(20_000),
});

const settingsSchema = z.object({
  window: z
    .object({ bounds: boundsSchema.optional(), maximized: z.boolean().default(false) })
    .default({ maximized: false }),
});

export type Settings = z.infer<typeof settingsSchema>;
export type WindowBounds = z.infer<typeof boundsSchema>;

export class SettingsStore {
  readonly file: string;
  private current: Settings;

  constructor(userDataDir: string) {
    this.file = path.join(userDataDir, 'settings.json');
    this.current = SettingsStore.read(this.file);
  }

  get(): Settings {
    return this.current;
  }

  update(change: (settings: Settings) => Settings): void {
    this.current = settingsSchema.parse(change(structuredClone(this.current)));
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(this.current, null, 2)}\n`);
    renameSync(temp, this.file);
  }

  /** A missing or damaged file means defaults: settings are never worth failing a start for. */
  private static read(file: string): Settings {
    try {
      if (existsSync(file)) return settingsSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // fall through to defaults
    }
    return settingsSchema.parse({});
  }
}
