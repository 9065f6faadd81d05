/**
 * Opening a socket to a server (TCP or TLS) within connectTimeout, and the time limit helper
 * the connection layer uses for every wait it must bound. The only module that creates sockets;
 * knows nothing of RESP or commands.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ConnectionError } from '../errors.js';
import type { ResolvedOptions } from './options.js';

/**
 * Dials `o.host:o.port`. `opening` receives the socket at once, so that a disconnect() can
 * destroy it before it connects; the promise then rejects with a 'client-closed' error.
 */
export function dial(o: ResolvedOptions, opening: (socket: net.Socket | undefined) => void): Promise<net.Socket> {
  const address = o.path ?? `${o.host}:${o.port}`;
  return new Promise<net.Socket>((resolve, reject) => {
    const socket =
      o.path !== undefined
        ? o.tls
          ? tls.connect({ path: o.path, ...o.tls })
          : net.connect({ path: o.path })
        : o.tls
          ? tls.connect({ host: o.host, port: o.port, servername: net.isIP(o.host) === 0 ? o.host : undefined, ...o.tls })
          : net.connect({ host: o.host, port: o.port });
    opening(socket);
    const settle = (): void => {
      clearTimeout(timer);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const fail = (error: ConnectionError): void => {
      settle();
      socket.destroy();
      opening(undefined);
      reject(error);
    };
    const timer = setTimeout(() => fail(new ConnectionError(`Connecting to ${address} timed out after ${o.connectTimeout} ms`, 'refused')), o.connectTimeout);
    const onError = (error: Error): void =>
      fail(
        new ConnectionError(
          isCertificateRefusal(error)
            ? `Cannot connect to ${address}: its TLS certificate is not trusted (${error.message}); give the CA that signed it as the tls.ca option`
            : `Cannot connect to ${address}: ${error.message}`,
          'refused',
          { cause: error },
        ),
      );
    const onClose = (): void => fail(new ConnectionError(`Connection to ${address} was closed`, 'client-closed'));
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once(o.tls ? 'secureConnect' : 'connect', () => {
      settle();
      if (o.path === undefined) {
        socket.setNoDelay(true);
        if (o.keepAlive > 0) socket.setKeepAlive(true, o.keepAlive);
      }
      resolve(socket);
    });
  });
}

/**
 * Whether a dial failed because the server's TLS certificate did not verify (unknown or
 * self-signed issuer, expired, another host's name). Retrying cannot change that answer, unlike
 * a refused or timed-out dial, so the connection layer gives up on it at once.
 */
export function isCertificateRefusal(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_|ALTNAME|HOSTNAME_MISMATCH/.test(code);
}

/** `promise`, or what `late()` returns (or throws) once `ms` have passed, whichever comes first. */
export function timeLimit<T>(promise: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(late());
      } catch (error) {
        reject(error);
      }
    }, ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/**
 * Ends a socket whose server answered QUIT: FIN, then waits for its close, destroying it if the
 * close does not come within a second. Without an answer (`answered` false) it is destroyed at once.
 */
export async function endSocket(socket: net.Socket, answered: boolean): Promise<void> {
  if (socket.destroyed) return;
  if (!answered) {
    socket.destroy();
    return;
  }
  await new Promise<void>((resolve) => {
    const destroy = setTimeout(() => socket.destroy(), 1000);
    socket.once('close', () => {
      clearTimeout(destroy);
      resolve();
    });
    socket.end();
  });
}
