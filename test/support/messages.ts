// Synthetic HL7 v2 messages for tests (no real data). Segments end with CR, as on the wire.

export type MessageOptions = {
  controlId?: string;
  type?: string;
  event?: string;
  version?: string;
  sendingApplication?: string;
  sendingFacility?: string;
  patientId?: string;
  timestamp?: string;
  msh15?: string;
  msh16?: string;
  msh18?: string;
  /** Segments after MSH; defaults depend on the type. */
  body?: string[];
  /** Extra text in an NTE/OBX to make content differ or grow. */
  note?: string;
};

export function buildMessage(options: MessageOptions = {}): string {
  const type = options.type ?? 'ADT';
  const event = options.event ?? 'A01';
  const version = options.version ?? '2.5.1';
  const msh = [
    'MSH',
    '^~\\&',
    options.sendingApplication ?? 'TESTAPP',
    options.sendingFacility ?? 'TESTFAC',
    'HL7LISTENER',
    'HOSP',
    options.timestamp ?? '20260115103000',
    '',
    `${type}^${event}${version >= '2.3.1' ? `^${type}_${event}` : ''}`,
    options.controlId ?? 'CTRL0001',
    'P',
    version,
    '',
    '',
    options.msh15 ?? '',
    options.msh16 ?? '',
    '',
    options.msh18 ?? '',
  ];
  while (msh.length > 12 && msh[msh.length - 1] === '') msh.pop();
  const patientId = options.patientId ?? 'PAT-12345';
  const body = options.body ?? defaultBody(type, patientId, options.note ?? 'synthetic test data');
  return [msh.join('|'), ...body].join('\r') + '\r';
}

function defaultBody(type: string, patientId: string, note: string): string[] {
  const pid = `PID|1||${patientId}^^^HOSP^MR||TESTPATIENT^ALPHA||19800101|F`;
  switch (type) {
    case 'ORU':
      return [pid, 'OBR|1|ORD1|FIL1|GLU^Glucose', `OBX|1|ST|GLU^Glucose||${note}||||||F`];
    case 'SIU':
      return ['SCH|APT1|APT1|||||ROUTINE', pid, `NTE|1||${note}`];
    default:
      return ['EVN|A01|20260115103000', pid, 'PV1|1|I|WARD^1^1', `NTE|1||${note}`];
  }
}

/** An acknowledgement arriving as a message (MSH-9.1 = ACK), e.g. from an engine that answers what it receives. */
export function buildAckMessage(controlId: string, options: { ackCode?: string; timestamp?: string; msh15?: string } = {}): string {
  const msh = `MSH|^~\\&|OTHERENGINE|OTHERFAC|HL7LISTENER|HOSP|${options.timestamp ?? '20260115103000'}||ACK^A01^ACK|${controlId}|P|2.5.1|||${options.msh15 ?? ''}`;
  return `${msh}\rMSA|${options.ackCode ?? 'AA'}|ORIG-${controlId}\r`;
}
