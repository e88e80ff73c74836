import type { FhirResource } from '../../fhir/projection.ts';
import { searchTypes, supportedParams } from '../../fhir/search/params.ts';

// GET /fhir/metadata: exactly what the routes serve, read from the same table the parser uses.

const paramTypes = { string: 'string', date: 'date', token: 'token', patient: 'reference' } as const;
const docs: Record<string, string> = {
  family: 'starts-with, case- and accent-insensitive; :exact, :contains',
  given: 'starts-with, case- and accent-insensitive; :exact, :contains',
  name: 'any part of the name (family, given, prefix, suffix, text); :exact, :contains',
  birthdate: 'prefixes eq, ne, gt, lt, ge, le; partial dates (1970, 1970-05)',
  date: 'prefixes eq, ne, gt, lt, ge, le; partial dates',
  identifier: 'system|value, |value, system|, value',
  patient: 'the patient id (or Patient/<id>); includes patients merged into it',
};

export function capabilityStatement(base: string): FhirResource {
  return {
    resourceType: 'CapabilityStatement',
    id: 'hl7v2-listener',
    status: 'active',
    date: '2026-12-01',
    kind: 'instance',
    software: { name: 'hl7v2-listener' },
    implementation: { description: 'Patient 360: HL7 v2 events projected to FHIR R4 (read-only)', url: base },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        security: { description: 'Bearer API key with the role fhir or read' },
        resource: searchTypes.map((type) => ({
          type,
          versioning: 'versioned',
          readHistory: true,
          interaction: [
            { code: 'read' },
            { code: 'vread' },
            { code: 'history-instance' },
            { code: 'search-type', documentation: 'GET [type]?…, or POST [type]/_search with an application/x-www-form-urlencoded body (parameters out of URLs)' },
          ],
          searchParam: [
            ...Object.entries(supportedParams[type]).map(([name, kind]) => ({ name, type: paramTypes[kind], ...(docs[name] === undefined ? {} : { documentation: docs[name] }) })),
            { name: '_count', type: 'number', documentation: 'page size, 0 to 1000 (default 20)' },
          ],
          ...(type === 'Patient'
            ? { operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything', documentation: '_since, _type, _count; paged' }] }
            : {}),
        })),
      },
    ],
  };
}
