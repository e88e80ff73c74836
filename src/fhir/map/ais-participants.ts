import { toCodeableConcept } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { locationText } from './pv1-encounter.ts';
import { fillerStatus } from './sch-appointment.ts';
import { compText, field, repetitions, type Segment } from './v2-reader.ts';
import { xcnToReference } from './xpn-humanname.ts';

// AIG / AIL / AIP → Appointment.participant (IG "AIG[Appointment]", "AIL[…]", "AIP[…]"): the
// resource (AIG-3, a code), the location (AIL-3, a PL) or the person (AIP-3, an XCN) as a display
// reference, its role (AIG-4, AIP-4) as `type`. participant.status (required): declined when the
// resource's own filler status (AIG-14, AIL-12, AIP-12; 0278) says cancelled or deleted, else
// accepted. AIS (the service) is not a participant: it gives Appointment.serviceType.

export function patientParticipant(patient: string): Json {
  return { actor: { reference: `Patient/${patient}` }, status: 'accepted' };
}

export function resourceParticipant(segment: Segment, ctx: MapContext): Json | undefined {
  const { d } = ctx;
  const [actor, type, statusField] = ((): [Json | undefined, string, number] => {
    switch (segment.id) {
      case 'AIG': {
        const resource = repetitions(field(segment, 3), d)[0] ?? '';
        const display = compText(resource, 2, d) ?? compText(resource, 1, d);
        return [display === undefined ? undefined : { display }, field(segment, 4), 14];
      }
      case 'AIL': {
        const display = locationText(repetitions(field(segment, 3), d)[0] ?? '', ctx);
        // AIL-4 is the location's type (0305), not a participant role: no `type`.
        return [display === undefined ? undefined : { display }, '', 12];
      }
      default:
        return [xcnToReference(repetitions(field(segment, 3), d)[0] ?? '', ctx), field(segment, 4), 12];
    }
  })();
  const role = toCodeableConcept(type, ctx);
  if (actor === undefined && role === undefined) return undefined;
  const own = fillerStatus(field(segment, statusField), ctx);
  return { type: role === undefined ? undefined : [role], actor, status: own === 'cancelled' || own === 'entered-in-error' ? 'declined' : 'accepted' };
}
