/**
 * TLS material and TLS servers for tests: a throw-away CA and a server certificate it signs
 * (made with the `openssl` command line, since node:crypto cannot issue X.509 certificates),
 * and a standalone server that also listens on a `tls-port`. The plain port stays open for
 * the harness's readiness probe and out-of-band commands; tests point the client at the TLS
 * port only. Must not import from src/ or vitest.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './ports.js';
import { releaseDir, trackDir } from './reaper.js';
import { RedisProcess } from './redis-process.js';
import { startOwnedProcess } from './servers.js';
import type { ServerHandle } from './redis-process.js';
import type { ServerFlavour } from './flavour.js';

export interface CertificateAuthority {
  /** PEM of the CA certificate (what a client trusts). */
  readonly caPem: string;
  readonly caFile: string;
  /** A server certificate for 127.0.0.1 / localhost signed by this CA, and its key. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Removes the folder. */
  dispose(): Promise<void>;
}

function openssl(cwd: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`openssl ${args[0]} failed: ${stderr || error.message}`));
      else resolve();
    });
  });
}

/** A fresh CA (`name` in its subject) and a server certificate it signs, valid one day. */
export async function makeCertificateAuthority(name: string): Promise<CertificateAuthority> {
  const dir = await mkdtemp(join(tmpdir(), 'slotline-tls-'));
  trackDir(dir);
  // EC keys: generated in milliseconds, where RSA 2048 takes a noticeable share of a second.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(dir, 'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', `/CN=${name}`);
  await openssl(dir, 'req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  // Clients verify the address they dialled against subjectAltName, not the CN.
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(
    dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', '1', '-extfile', 'server.ext',
  );
  return {
    caPem: await readFile(join(dir, 'ca.crt'), 'utf8'),
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    dispose: () => releaseDir(dir),
  };
}

export interface TlsServer extends ServerHandle {
  /** The port that speaks TLS. */
  readonly tlsPort: number;
}

/** A standalone server with a TLS port using `ca`'s server certificate; clients are not asked for one. */
export async function startTlsStandalone(ca: CertificateAuthority, flavour?: ServerFlavour): Promise<TlsServer> {
  const tlsPort = await getFreePort();
  const args = [
    '--tls-port', String(tlsPort),
    '--tls-cert-file', ca.certFile,
    '--tls-key-file', ca.keyFile,
    '--tls-ca-cert-file', ca.caFile,
    '--tls-auth-clients', 'no',
  ];
  const server = await startOwnedProcess('slotline-tls-', async (port, dir) =>
    new RedisProcess({ port, dir, args, ...(flavour === undefined ? {} : { flavour }) }),
  );
  return {
    host: server.host,
    port: server.port,
    tlsPort,
    dir: server.dir,
    get pid() {
      return server.pid;
    },
    stop: () => server.stop(),
    kill: (signal) => server.kill(signal),
    restart: () => server.restart(),
  };
}
