// The server-wide switches an admin changes while the server runs, stored in the setting table (the
// configuration file holds everything that needs a restart). One zod schema per setting: the native API
// validates and documents a change from it.
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { isPasswordAuthEnabled, setPasswordAuthEnabled } from './auth-settings.ts';

export const serverSettingsSchema = z.object({
  passwordAuthEnabled: z
    .boolean()
    .describe(
      'Subsonic logins with a password or token (u+p, u+t+s). Off leaves only API keys (OpenSubsonic ' +
        'apiKeyAuthentication), which can be revoked one by one and never reveal a password.',
    ),
});

export type ServerSettings = z.output<typeof serverSettingsSchema>;
type SettingKey = keyof ServerSettings;

const STORED: {
  [Key in SettingKey]: {
    read(db: Database): ServerSettings[Key];
    write(db: Database, value: ServerSettings[Key]): void;
  };
} = {
  passwordAuthEnabled: { read: isPasswordAuthEnabled, write: setPasswordAuthEnabled },
};

const KEYS = Object.keys(STORED) as SettingKey[];

export function readServerSettings(db: Database): ServerSettings {
  return Object.fromEntries(KEYS.map((key) => [key, STORED[key].read(db)])) as ServerSettings;
}

/** Writes the settings given (checked against serverSettingsSchema) at once; answers those that changed. */
export function changeServerSettings(db: Database, changes: Partial<ServerSettings>): SettingKey[] {
  return db.transaction(() => {
    const before = readServerSettings(db);
    const changed: SettingKey[] = [];
    for (const key of KEYS) {
      const value = changes[key];
      if (value === undefined || value === before[key]) continue;
      STORED[key].write(db, value);
      changed.push(key);
    }
    return changed;
  });
}
