import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { envName, loadConfig } from '../../src/config/load.ts';
import { describeSchedule, parseDuration, parseSize } from '../../src/config/schema.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonearm-config-'));

describe('configuration', () => {
  it('layers defaults < file < environment < flags', () => {
    const file = path.join(dir, 'layers.toml');
    fs.writeFileSync(
      file,
      'port = 5000\nhost = "127.0.0.2"\nlogLevel = "debug"\n[scanner]\nworkers = 3\nwatch = false\n',
    );
    const { config, origins } = loadConfig({
      configFile: file,
      env: { TONEARM_HOST: '127.0.0.3', TONEARM_LOG_LEVEL: 'warn' },
      flags: { logLevel: 'error' },
    });
    assert.equal(config.port, 5000);
    assert.equal(config.host, '127.0.0.3');
    assert.equal(config.logLevel, 'error');
    assert.equal(config.scanner.workers, 3);
    assert.equal(config.scanner.watch, false);
    assert.equal(config.scanner.watchPolling, false);
    assert.equal(origins.get('port'), `file ${file}`);
    assert.equal(origins.get('host'), 'env TONEARM_HOST');
    assert.equal(origins.get('logLevel'), 'flag');
  });

  it('resolves paths in a file against the file, and names libraries after folders', () => {
    const file = path.join(dir, 'paths.toml');
    fs.writeFileSync(file, 'dataDir = "state"\nmusic = ["songs", "/srv/Music"]\n');
    const { config } = loadConfig({ configFile: file, env: {} });
    assert.equal(config.dataDir, path.join(dir, 'state'));
    assert.deepEqual(config.music, [
      { name: 'songs', path: path.join(dir, 'songs') },
      { name: 'Music', path: '/srv/Music' },
    ]);
    const fromEnv = loadConfig({ env: { TONEARM_MUSIC: '/a/Music:/b/Music:/a/Music' }, cwd: dir }).config;
    assert.deepEqual(fromEnv.music, [
      { name: 'Music', path: '/a/Music' },
      { name: 'Music (2)', path: '/b/Music' },
    ]);
  });

  it('rejects unknown keys instead of ignoring a typo', () => {
    const file = path.join(dir, 'typo.toml');
    fs.writeFileSync(file, '[scanner]\nwatchPoling = true\n');
    assert.throws(
      () => loadConfig({ configFile: file, env: {} }),
      /unknown config key scanner\.watchPoling \(from file/,
    );
  });

  it('coerces environment values and rejects wrong ones with the key, value and origin', () => {
    const { config } = loadConfig({
      env: {
        TONEARM_SCANNER_WATCH_POLLING: 'yes',
        TONEARM_PORT: '8080',
        TONEARM_SCANNER_ARTIST_SEPARATORS: '[" x "]',
        TONEARM_TRANSCODING_CACHE_SIZE: '2GB',
      },
    });
    assert.equal(config.scanner.watchPolling, true);
    assert.equal(config.port, 8080);
    assert.deepEqual(config.scanner.artistSeparators, [' x ']);
    assert.equal(config.transcoding.cacheSize, 2 * 1024 ** 3);
    assert.equal(config.readWorkers, 'auto');
    assert.equal(loadConfig({ env: { TONEARM_READ_WORKERS: '0' } }).config.readWorkers, 0);
    assert.equal(loadConfig({ env: { TONEARM_READ_WORKERS: '3' } }).config.readWorkers, 3);
    assert.throws(
      () => loadConfig({ env: { TONEARM_READ_WORKERS: 'many' } }),
      /readWorkers: "many" \(from env TONEARM_READ_WORKERS\): expected auto or a count of worker threads from 0 to 64/,
    );
    assert.throws(
      () => loadConfig({ env: { TONEARM_SCANNER_WATCH: 'maybe' } }),
      /invalid config value for scanner\.watch: "maybe" \(from env TONEARM_SCANNER_WATCH\): expected true or false/,
    );
    assert.throws(
      () => loadConfig({ env: {}, flags: { basePath: 'music' } }),
      /basePath: "music" \(from flag\): expected empty or a URL path/,
    );
    assert.throws(
      () => loadConfig({ env: {}, flags: { scanner: { coverArtPriority: ['../x.*'] } } }),
      /scanner\.coverArtPriority\.0/,
    );
  });

  it('checks the removal guard share and the offline check interval', () => {
    const defaults = loadConfig({ env: {} }).config.scanner;
    assert.equal(defaults.maxRemovalShare, 0.25);
    assert.equal(defaults.offlineCheckIntervalMs, 60_000);
    const { config } = loadConfig({
      env: { TONEARM_SCANNER_MAX_REMOVAL_SHARE: '0.5', TONEARM_SCANNER_OFFLINE_CHECK_INTERVAL_MS: '5000' },
    });
    assert.equal(config.scanner.maxRemovalShare, 0.5);
    assert.equal(config.scanner.offlineCheckIntervalMs, 5000);
    for (const wrong of ['50%', '1.5', '-0.1'])
      assert.throws(
        () => loadConfig({ env: { TONEARM_SCANNER_MAX_REMOVAL_SHARE: wrong } }),
        new RegExp(
          `invalid config value for scanner\\.maxRemovalShare: "?${wrong.replace('.', '\\.')}"? \\(from env TONEARM_SCANNER_MAX_REMOVAL_SHARE\\): expected a fraction from 0 to 1, e\\.g\\. 0\\.25 \\(1 turns the removal guard off\\)`,
        ),
      );
    assert.throws(
      () => loadConfig({ env: {}, flags: { scanner: { offlineCheckIntervalMs: 10 } } }),
      /scanner\.offlineCheckIntervalMs: 10 \(from flag\): expected at least 100 \(ms\)/,
    );
  });

  it('reads the [auth] table: token lifetimes, the proxy header, OIDC; refuses bad values by name', () => {
    const defaults = loadConfig({ env: {} }).config.auth;
    assert.equal(defaults.accessTokenTtl, 15 * 60_000);
    assert.equal(defaults.sessionIdleTimeout, 30 * 86_400_000);
    assert.equal(defaults.proxyHeader, '');
    assert.equal(defaults.oidc.issuer, '');
    const file = path.join(dir, 'auth.toml');
    fs.writeFileSync(
      file,
      '[auth]\naccessTokenTtl = "5m"\nproxyHeader = "Remote-User"\nproxyHeaderNetworks = ["172.16.0.0/12"]\n[http]\ncorsOrigins = ["https://app.example.org"]\n',
    );
    const { config } = loadConfig({ configFile: file, env: {} });
    assert.equal(config.auth.accessTokenTtl, 5 * 60_000);
    assert.equal(config.auth.proxyHeader, 'Remote-User');
    assert.deepEqual(config.auth.proxyHeaderNetworks, ['172.16.0.0/12']);
    assert.deepEqual(config.http.corsOrigins, ['https://app.example.org']);
    assert.throws(
      () => loadConfig({ env: { TONEARM_HTTP_CORS_ORIGINS: 'https://app.example.org/path' } }),
      /http\.corsOrigins/,
    );
    assert.throws(
      () => loadConfig({ env: { TONEARM_AUTH_PROXY_HEADER_NETWORKS: 'not-a-network' } }),
      /auth\.proxyHeaderNetworks/,
    );
  });

  it('reads the [http] table: trusted proxies, the public URL, durations and limits', () => {
    const defaults = loadConfig({ env: {} }).config.http;
    assert.deepEqual(defaults, {
      trustedProxies: [],
      publicUrl: '',
      headersTimeout: 20_000,
      requestTimeout: 60_000,
      keepAliveTimeout: 30_000,
      stallTimeout: 60_000,
      maxConnectionsPerAddress: 64,
      maxConnections: 512,
      corsOrigins: [],
      answerCache: 32 * 1024 * 1024,
    });
    const file = path.join(dir, 'http.toml');
    fs.writeFileSync(
      file,
      '[http]\ntrustedProxies = ["127.0.0.1/32", "172.16.0.0/12", "fd00::/8"]\npublicUrl = "https://music.example.org/"\nstallTimeout = "2m"\nheadersTimeout = 5000\nanswerCache = "8MB"\n',
    );
    const { config } = loadConfig({
      configFile: file,
      env: { TONEARM_HTTP_KEEP_ALIVE_TIMEOUT: '65s', TONEARM_HTTP_REQUEST_TIMEOUT: '90000' },
    });
    assert.deepEqual(config.http.trustedProxies, ['127.0.0.1/32', '172.16.0.0/12', 'fd00::/8']);
    assert.equal(config.http.publicUrl, 'https://music.example.org');
    assert.equal(config.http.stallTimeout, 120_000);
    assert.equal(config.http.headersTimeout, 5000);
    assert.equal(config.http.keepAliveTimeout, 65_000);
    assert.equal(config.http.requestTimeout, 90_000);
    assert.equal(config.http.answerCache, 8 * 1024 * 1024);
    assert.equal(loadConfig({ env: { TONEARM_HTTP_ANSWER_CACHE: '0' } }).config.http.answerCache, 0);
    assert.throws(() => loadConfig({ env: { TONEARM_HTTP_ANSWER_CACHE: 'lots' } }), /http\.answerCache/);
    const fromEnv = loadConfig({ env: { TONEARM_HTTP_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.2' } }).config;
    assert.deepEqual(fromEnv.http.trustedProxies, ['10.0.0.0/8', '192.168.1.2']);
    assert.throws(
      () => loadConfig({ env: { TONEARM_HTTP_TRUSTED_PROXIES: 'proxy.lan' } }),
      /http\.trustedProxies\.0: "proxy\.lan" \(from env TONEARM_HTTP_TRUSTED_PROXIES\): expected an IP address or a network/,
    );
    for (const bad of [
      'music.example.org',
      'ftp://example.org',
      'https://example.org/?x=1',
      'https://u:p@example.org',
    ]) {
      assert.throws(
        () => loadConfig({ env: {}, flags: { http: { publicUrl: bad } } }),
        /invalid config value for http\.publicUrl: .*expected empty or the address people use/,
        bad,
      );
    }
    assert.throws(
      () => loadConfig({ env: {}, flags: { http: { stallTimeout: 'soon' } } }),
      /http\.stallTimeout: "soon" \(from flag\): expected a duration from 100ms to 1h such as 60s/,
    );
    assert.throws(
      () => loadConfig({ env: {}, flags: { http: { headersTimeout: '2m', requestTimeout: '1m' } } }),
      /http\.headersTimeout: .*must not be longer than requestTimeout/,
    );
  });

  it('parses sizes, durations and schedules', () => {
    assert.equal(parseSize('500 MB'), 500 * 1024 ** 2);
    assert.equal(parseSize('lots'), undefined);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('90'), undefined);
    assert.deepEqual(describeSchedule(''), { kind: 'off' });
    assert.deepEqual(describeSchedule('6h'), { kind: 'interval', ms: 21_600_000 });
    assert.deepEqual(describeSchedule('0 3 * * *'), { kind: 'cron', expression: '0 3 * * *' });
    assert.equal(describeSchedule('10s'), undefined, 'too frequent');
    assert.equal(describeSchedule('every day'), undefined);
    assert.equal(envName(['scanner', 'watchPollingIntervalMs']), 'TONEARM_SCANNER_WATCH_POLLING_INTERVAL_MS');
  });
});
