import { Message } from 'node-hl7-client';
import { messages } from './fixtures.ts';
import { parseMessage } from '../src/hl7/message.ts';
for (const k of ['ADT', 'ORU'] as const) {
  const [m] = messages(k, 'BENCH-', 1);
  if (!m) throw new Error();
  console.log(k, m.length, m.toString().split('\r').length);
  const msg = new Message({ text: m.toString('latin1') });
  console.log(['MSH.9.1','MSH.9.2','MSH.10','MSH.12','PID.3.1'].map((p) => msg.get(p).toString()));
  const r = parseMessage(m, { defaultCharset: 'UTF-8' });
  console.log(r.ok && r.message.header.controlId, r.ok && r.message.patientId);
}
