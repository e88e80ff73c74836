import { z } from 'zod';

// The `console` section of the configuration: the operations console served at /console/ and its
// sign-in sessions (src/console/). Part of the one declaration in schema.ts, which re-exports it.

export const consoleSchema = z
  .object({
    /** false: no /console pages and no /api/console/session routes (404). */
    enabled: z.boolean().default(true),
    /**
     * Signs the session cookies (HMAC-SHA-256) and their CSRF tokens. Absent: a fresh key per
     * process, so every session ends at a restart. Set the same value on every instance behind one
     * load balancer. A secret: put it in config-secured-<env>.yaml as `![...]`.
     */
    sessionKey: z.string().min(32, 'at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
    /** A session not used for this long ends. */
    idleMinutes: z.number().int().min(1).max(24 * 60).default(15),
    /** A session ends this long after sign-in, used or not. */
    maxHours: z.number().int().min(1).max(7 * 24).default(8),
    /** Sign-in attempts per client address per minute (POST /api/console/session), then 429. */
    signInsPerMinute: z.number().int().min(1).max(1000).default(10),
  })
  .strict()
  .superRefine((section, ctx) => {
    if (section.idleMinutes > section.maxHours * 60) {
      ctx.addIssue({ code: 'custom', path: ['idleMinutes'], message: 'must not be longer than console.maxHours' });
    }
  });
