const CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  mp2: 'audio/mpeg',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  spx: 'audio/ogg',
  m4a: 'audio/mp4',
  m4b: 'audio/mp4',
  mp4: 'audio/mp4',
  aac: 'audio/aac',
  alac: 'audio/mp4',
  wav: 'audio/wav',
  aif: 'audio/aiff',
  aiff: 'audio/aiff',
  aifc: 'audio/aiff',
  wma: 'audio/x-ms-wma',
  asf: 'audio/x-ms-wma',
  ape: 'audio/x-ape',
  wv: 'audio/x-wavpack',
  dsf: 'audio/dsf',
  dff: 'audio/dff',
  mpc: 'audio/x-musepack',
  mka: 'audio/x-matroska',
  tta: 'audio/x-tta',
  webm: 'audio/webm',
};

export function contentTypeOf(suffix: string): string {
  return CONTENT_TYPES[suffix.toLowerCase()] ?? 'application/octet-stream';
}
