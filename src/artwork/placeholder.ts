// The pictures shown when there is none: a neutral grey square with a note for covers, and for avatars
// the user's initial on a colour derived from the username (stable, so a user keeps their colour). Both
// are SVG made here and rendered by sharp; the PNGs land in the artwork cache like any cover, so each
// size is drawn once. Text needs a font: in an image without any, the avatar shows just its colour.
import { createHash } from 'node:crypto';
import { NEUTRAL_GREY } from './images.ts';

/** The size of a placeholder asked for without a size. */
export const DEFAULT_PLACEHOLDER_SIZE = 512;
export const AVATAR_PLACEHOLDER_SIZE = 256;

/** A grey square with a beamed pair of eighth notes, size×size. */
export function coverPlaceholderSvg(size: number): string {
  const glyph = '#a6a6a6';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">
<rect width="100" height="100" fill="${NEUTRAL_GREY}"/>
<g fill="${glyph}">
<polygon points="40,27 74,19 74,27 40,35"/>
<rect x="40" y="29" width="4" height="37"/>
<rect x="70" y="21" width="4" height="37"/>
<ellipse cx="35" cy="67" rx="9" ry="6.5" transform="rotate(-20 35 67)"/>
<ellipse cx="65" cy="59" rx="9" ry="6.5" transform="rotate(-20 65 59)"/>
</g>
</svg>`;
}

/** The first letter of the username, upper-cased, on a colour of its own, size×size. */
export function avatarPlaceholderSvg(username: string, size: number): string {
  const hash = createHash('sha256').update(username.toLowerCase()).digest();
  const hue = hash.readUInt16BE(0) % 360;
  const initial = escapeXml(([...username.trim()][0] ?? '?').toUpperCase());
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">
<rect width="100" height="100" fill="hsl(${hue}, 45%, 42%)"/>
<text x="50" y="50" dy="0.35em" text-anchor="middle" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="56" font-weight="bold" fill="#ffffff">${initial}</text>
</svg>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
