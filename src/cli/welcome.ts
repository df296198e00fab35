// What `tonearm serve` tells the person who just started it, in words: the address to give a Subsonic
// client, and where the first admin's password is while it is still the generated one. The password
// itself never reaches the log (src/accounts/first-admin.ts).
import fs from 'node:fs';
import os from 'node:os';
import { FIRST_ADMIN_NAME } from '../accounts/first-admin.ts';
import type { Config } from '../config/schema.ts';
import { configuredBaseUrl } from '../http/public-url.ts';
import { normalizeAddress } from '../shared/ip-address.ts';
import type { Logger } from '../shared/logger.ts';

export interface WelcomeFacts {
  /** config.host, config.basePath and config.http.publicUrl. */
  config: Pick<Config, 'host' | 'basePath'> & { http: Pick<Config['http'], 'publicUrl'> };
  /** The address the server is bound to, e.g. http://0.0.0.0:4040 (startServer's url). */
  listeningUrl: string;
  /** This machine's IPv4 addresses on its networks (not loopback). */
  lanAddresses: readonly string[];
  /** Running in a container: its own addresses are not the ones people reach it by. */
  inContainer: boolean;
  /** The initial admin password file, when it still exists; `created` when this start made it. */
  firstAdmin?: { passwordFile: string; created: boolean };
}

export interface WelcomeLine {
  message: string;
  fields?: Record<string, unknown>;
}

const WILDCARD = new Set(['0.0.0.0', '::']);

/** The lines to log, in order. */
export function welcomeLines(facts: WelcomeFacts): WelcomeLine[] {
  const { config } = facts;
  const listening = new URL(facts.listeningUrl);
  const port = listening.port || '80';
  const basePath = config.basePath;
  const address = normalizeAddress(config.host) ?? config.host;
  const lines: WelcomeLine[] = [];
  const configured = configuredBaseUrl(config);
  if (configured) {
    const url = configured;
    lines.push({
      message: `Point your Subsonic client at ${url} (http.publicUrl)`,
      fields: { clientUrl: url },
    });
  } else if (WILDCARD.has(address)) {
    const examples = facts.lanAddresses.slice(0, 3).map((lan) => `http://${lan}:${port}${basePath}`);
    const local = `http://localhost:${port}${basePath}`;
    if (facts.inContainer) {
      // The container's own addresses mean nothing on the network; the host's and its published port do.
      lines.push({
        message: `Point your Subsonic client at the machine running this container, on the port published for container port ${port}: http://<its address>:<that port>${basePath} (Tonearm's docker-compose.yml publishes 4040 as 4040)`,
        fields: { containerPort: Number(port) },
      });
    } else {
      lines.push({
        message: `Point your Subsonic client at this machine's network address, port ${port}: ${examples.length > 0 ? examples.join(' or ') : `http://<this machine's address>:${port}${basePath}`} (on this machine: ${local})`,
        fields: { clientUrls: examples.length > 0 ? examples : [local] },
      });
    }
  } else {
    const url = `${facts.listeningUrl}${basePath}`;
    const loopback = address === '::1' || address.startsWith('127.') || config.host === 'localhost';
    lines.push({
      message: loopback
        ? `Point your Subsonic client at ${url}; only this machine can connect (host = "0.0.0.0" lets other devices in)`
        : `Point your Subsonic client at ${url}`,
      fields: { clientUrl: url },
    });
  }
  if (facts.firstAdmin) {
    lines.push({
      message: `Sign in as ${FIRST_ADMIN_NAME} with the password in ${facts.firstAdmin.passwordFile}${facts.firstAdmin.created ? ' (made just now)' : ''}; change it with \`tonearm user passwd ${FIRST_ADMIN_NAME}\` and the file goes away`,
      fields: { username: FIRST_ADMIN_NAME, passwordFile: facts.firstAdmin.passwordFile },
    });
  }
  return lines;
}

/** This machine's IPv4 addresses on real networks, without container bridges and link-local ones. */
export function lanAddresses(interfaces = os.networkInterfaces()): string[] {
  const found: string[] = [];
  for (const [name, entries] of Object.entries(interfaces)) {
    if (/^(docker|br-|veth|virbr|cni|flannel|lo)/.test(name)) continue;
    for (const entry of entries ?? []) {
      if (entry.internal || entry.family !== 'IPv4' || entry.address.startsWith('169.254.')) continue;
      found.push(entry.address);
    }
  }
  return found;
}

/** Logs the welcome lines: called by `serve` once it listens. */
export function announceWelcome(
  logger: Logger,
  config: Config,
  listeningUrl: string,
  firstAdmin: { created: boolean; passwordFile: string },
): void {
  const facts: WelcomeFacts = {
    config,
    listeningUrl,
    lanAddresses: lanAddresses(),
    inContainer: fs.existsSync('/.dockerenv') || fs.existsSync('/run/.containerenv'),
    ...(fs.existsSync(firstAdmin.passwordFile) ? { firstAdmin } : {}),
  };
  for (const line of welcomeLines(facts)) logger.info(line.fields ?? {}, line.message);
}
