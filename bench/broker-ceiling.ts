import { connect as connectAmqp } from 'amqplib';
import { cpuSeconds, findProcess } from './proc-stats.ts';
import { messages } from './fixtures.ts';

// The broker alone, as the amqp sink uses it: persistent 1.2 KB messages on a durable topic
// exchange, publisher confirms, a durable queue bound to every key (no consumer, so RabbitMQ stores
// each message). No listener and no database: this is the ceiling the amqp rows of `npm run bench`
// can reach on this machine, and the CPU RabbitMQ needs for it.
//
//   npx tsx bench/broker-ceiling.ts [count=100000] [inFlight=500]
// HL7_BENCH_AMQP_URL overrides amqp://guest:guest@127.0.0.1:5672; HL7_BENCH_AMQP_QUEUE=0 leaves the
// exchange unbound (RabbitMQ then drops each message and stores nothing).

const url = process.env.HL7_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const count = Number(process.argv[2] ?? 100_000);
const inFlight = Number(process.argv[3] ?? 500);
const exchange = 'hl7v2-broker-ceiling';
const bound = process.env.HL7_BENCH_AMQP_QUEUE !== '0';

const model = await connectAmqp(url);
const channel = await model.createConfirmChannel();
await channel.assertExchange(exchange, 'topic', { durable: true });
// HL7_BENCH_QUEUE_VERSION=2: a classic queue of version 2 (RabbitMQ >= 3.10), which stores messages differently.
const version = process.env.HL7_BENCH_QUEUE_VERSION;
const queueName = `hl7-broker-ceiling${version ? `-v${version}` : ''}`;
const { queue } = await channel.assertQueue(queueName, { durable: true, arguments: version ? { 'x-queue-version': Number(version) } : {} });
await channel.purgeQueue(queue);
if (bound) await channel.bindQueue(queue, exchange, 'hl7.#');

const bodies = messages('ADT', 'CEIL', 1_000);
const broker = findProcess(['beam.smp']);
const cpuBefore = cpuSeconds(broker);
const ownBefore = process.cpuUsage();
const started = performance.now();

for (let sent = 0; sent < count; sent += inFlight) {
  const batch = Math.min(inFlight, count - sent);
  for (let i = 0; i < batch; i += 1) {
    const n = sent + i;
    channel.publish(exchange, 'hl7.ADT.A01', bodies[n % bodies.length]!, {
      persistent: true,
      contentType: 'x-application/hl7-v2+er7',
      messageId: String(n),
      headers: { 'x-hl7-message-id': n, 'x-hl7-control-id': `CEIL${n}`, 'x-hl7-patient-key': `PAT-${n % 1000}^^^HOSP` },
    });
  }
  await channel.waitForConfirms();
}

const seconds = (performance.now() - started) / 1000;
const own = process.cpuUsage(ownBefore);
const brokerCpu = cpuSeconds(broker) - cpuBefore;
const ownCpu = (own.user + own.system) / 1e6;
console.log(
  `${count} persistent messages, ${inFlight} in flight, ${bound ? 'bound durable queue' : 'unbound'}: ` +
    `${Math.round(count / seconds)} msg/s; RabbitMQ ${brokerCpu.toFixed(2)} CPU s (${Math.round((brokerCpu / count) * 1e6)} µs/msg, ` +
    `${Math.round((brokerCpu / seconds) * 100)} % of a core), publisher ${Math.round((ownCpu / count) * 1e6)} µs/msg`,
);
await channel.deleteQueue(queue);
await channel.deleteExchange(exchange);
await model.close();
