import { once } from 'node:events';
import { Hl7Server } from '@medplum/hl7';

// The reference: @medplum/hl7's Hl7Server (4.5.x) parsing every message and answering
// message.buildAck() at once, with no storage. Run as its own process; prints
// {"listening":<port>} once bound and runs until SIGTERM.

const server = new Hl7Server((connection) => {
  connection.addEventListener('message', ({ message }) => connection.send(message.buildAck()));
  connection.addEventListener('error', () => undefined);
});
// start() listens on all interfaces; port 0 picks a free port.
server.start(0);
const listening = server.server;
if (listening === undefined) throw new Error('Hl7Server.start did not create a server');
await once(listening, 'listening');
const address = listening.address();
process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' && address ? address.port : null })}\n`);
process.on('SIGTERM', () => process.exit(0));
