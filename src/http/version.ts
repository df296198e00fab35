import packageJson from '../../package.json' with { type: 'json' };

/** The product version clients see as `serverVersion`; they re-read extensions when it changes. */
export const SERVER_VERSION: string = packageJson.version;
