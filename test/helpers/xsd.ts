// Validates a Subsonic XML answer against the official 1.16.1 schema with xmllint (libxml2-utils, like
// ffmpeg a test requirement). The schema predates OpenSubsonic, so the root's three OpenSubsonic
// attributes (type, serverVersion, openSubsonic) are removed first.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SUBSONIC_XSD = fileURLToPath(
  new URL('../fixtures/subsonic-rest-api-1.16.1.xsd', import.meta.url),
);

/** Throws (with xmllint's message) when the document is not valid. */
export function validateSubsonicXml(text: string): void {
  const stripped = text
    .replace(/<subsonic-response[^>]*>/, (root) =>
      root.replace(/ (type|serverVersion|openSubsonic)="[^"]*"/g, ''),
    )
    // The one known erratum: the XSD types PlayQueue.current as xs:int, but it holds a song id, and song
    // ids are strings (OpenSubsonic errata; every client, DSub included, reads it as a string).
    .replace(/(<playQueue\b[^>]*?) current="[^"]*"/, '$1');
  try {
    execFileSync('xmllint', ['--noout', '--schema', SUBSONIC_XSD, '-'], {
      input: stripped,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? error);
    throw new Error(`XML does not validate against the Subsonic XSD:\n${stderr}\n${stripped.slice(0, 2000)}`);
  }
}
