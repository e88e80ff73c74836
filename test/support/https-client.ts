import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * One HTTP(S) request on a fresh connection (no keep-alive pool, so each request gets its own TLS
 * handshake and client certificate), the whole answer collected:
 *
 *   const answer = await send({ port, ca: pki.ca, path: '/hl7', method: 'POST',
 *     headers: { authorization: `Bearer ${key}`, 'content-type': 'application/hl7-v2' }, body: message });
 *   answer.status, answer.headers['content-type'], answer.text, answer.json()
 *
 * Without `ca` it speaks plain HTTP. Rejects when the connection fails (refused, reset).
 */
export type SendOptions = {
  port: number;
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  ca?: Buffer;
  key?: Buffer;
  cert?: Buffer;
};

export type Answer = { status: number; headers: IncomingHttpHeaders; body: Buffer; text: string; json(): unknown };

export function send(options: SendOptions): Promise<Answer> {
  const tls = options.ca !== undefined;
  const request = tls ? httpsRequest : httpRequest;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.host ?? '127.0.0.1',
        port: options.port,
        path: options.path ?? '/hl7',
        method: options.method ?? 'POST',
        headers: { ...(body === undefined ? {} : { 'content-length': String(body.length) }), ...options.headers },
        agent: false,
        ...(tls ? { ca: options.ca, key: options.key, cert: options.cert, servername: 'localhost' } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: all,
            text: all.toString('latin1'),
            json: () => JSON.parse(all.toString('utf8')) as unknown,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
