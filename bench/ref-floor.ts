import { createServer } from 'node:net';
import { createFrameReader, encodeFrame } from '../src/mllp/frame.ts';
import { frameTemplate } from './frames.ts';

// The floor: what Node itself costs on this machine for MLLP. Our frame reader and one fixed,
// precomputed ACK per frame; no parse, no store, no logs. Run as its own process; prints
// {"listening":<port>} once bound and runs until SIGTERM.

const ack = encodeFrame(
  Buffer.from('MSH|^~\\&|FLOOR|BENCH|TESTAPP|TESTFAC|20260115103000||ACK^A01^ACK|FLOOR1|P|2.5.1\rMSA|AA|FLOOR\r', 'latin1'),
);
const maxMessageBytes = frameTemplate('ORU').payloadBytes * 4;

const server = createServer({ noDelay: true }, (socket) => {
  const reader = createFrameReader({ maxMessageBytes });
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    for (const event of reader.push(chunk)) if (event.kind !== 'junk') socket.write(ack);
  });
});
server.listen({ host: '127.0.0.1', port: 0 }, () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' && address ? address.port : null })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
