import { z } from 'zod';

// The `fhir` section of the configuration (docs/fhir-mapping.md): how v2 values become FHIR ones.
// Part of the one declaration in schema.ts, which re-exports it.

export const fhirSchema = z
  .object({
    /** IANA zone given to v2 timestamps written without an offset. */
    defaultTimeZone: z.string().min(1).default('UTC'),
    /** Assigning authority (PID-3.4 / HD namespace id, as written) → Identifier.system URI. */
    identifierSystems: z.record(z.string().min(1), z.string().min(1)).default({}),
  })
  .strict()
  .superRefine((fhir, ctx) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: fhir.defaultTimeZone });
    } catch {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultTimeZone'],
        message: `"${fhir.defaultTimeZone}" is not an IANA time zone (for example UTC or Europe/Zurich)`,
      });
    }
  });
