import { z } from 'zod';
import { code } from '../render/escape.js';
import { didYouMean } from './suggest.js';
import { dockerApiUrl, nodeRef } from './validators.js';

/**
 * Argument types of the commands beyond the plain validators: each turns
 * what was typed into what the action gets, or says what to type instead.
 */

/** A closed word list that answers a typo with the nearest word. */
export const oneOf = <const T extends readonly [string, ...string[]]>(words: T, what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.toLowerCase() : v),
    z.enum(words, {
      errorMap: (_issue, ctx) => {
        const hint = typeof ctx.data === 'string' ? didYouMean(ctx.data, [...words]) : undefined;
        const choices = `${words.map((w) => `\`${w}\``).join(', ')}`;
        return { message: hint ? `did you mean \`${hint}\`? ${what.charAt(0).toUpperCase()}${what.slice(1)}: ${choices}` : `${what}: ${choices}` };
      },
    }),
  );

/** `az=eu-west-1a zone- tier=db`: labels to set and to remove (Docker's label key rules) */
export const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,126}[A-Za-z0-9])?$/;
export const labelChanges = z.string().transform((raw, ctx) => {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const word of raw.split(/\s+/).filter(Boolean)) {
    const m = /^([^=]+)=(.*)$/.exec(word);
    const key = m ? m[1]! : word.endsWith('-') ? word.slice(0, -1) : '';
    if (!LABEL_KEY.test(key) || (m && m[2]!.length > 256)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${code(word.slice(0, 40))} is neither KEY=VALUE nor KEY-. Type e.g. \`az=eu-west-1a\` to set and \`az-\` to remove (keys: letters, digits, . _ / -)` });
      return z.NEVER;
    }
    if (m) set[key] = m[2]!;
    else remove.push(key);
  }
  if (!Object.keys(set).length && !remove.length) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'say what to change, e.g. `az=eu-west-1a` or `az-`' });
    return z.NEVER;
  }
  return { set, remove };
});

/** a manager by Docker API URL or by hostname */
export const managerRef = z.string().max(300).transform((raw, ctx) => {
  if (/^(tcp|https):\/\//i.test(raw)) {
    const url = dockerApiUrl.safeParse(raw);
    if (!url.success) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: url.error.issues[0]!.message });
      return z.NEVER;
    }
    return { ref: url.data.url, url: url.data };
  }
  const node = nodeRef.safeParse(raw);
  if (!node.success) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: node.error.issues[0]!.message });
    return z.NEVER;
  }
  return { ref: node.data, url: undefined };
});

/** what `/swarm nodes --filter` takes */
export const nodeFilter = z.string().max(300).transform((raw, ctx) => {
  const word = raw.toLowerCase();
  if (['down', 'manager', 'worker', 'drain', 'ready'].includes(word)) return { kind: word as 'down' | 'manager' | 'worker' | 'drain' | 'ready' };
  const m = /^([^=]+)=(.*)$/.exec(raw);
  if (m && LABEL_KEY.test(m[1]!)) return { kind: 'label' as const, key: m[1]!, value: m[2]! };
  const hint = didYouMean(word, ['down', 'manager', 'worker', 'drain', 'ready']);
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${hint ? `did you mean \`${hint}\`? ` : ''}filter by \`down\`, \`manager\`, \`worker\`, \`drain\`, \`ready\` or a label, e.g. \`az=eu-west-1a\`` });
  return z.NEVER;
});

/** `24h`, `7d`, `30m` → milliseconds */
export const duration = z.string().transform((raw, ctx) => {
  const m = /^(\d{1,4})([mhd])$/i.exec(raw.trim());
  if (!m || Number(m[1]) === 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${code(raw.slice(0, 40))} is not a duration. Type minutes, hours or days, e.g. 30m, 24h or 7d` });
    return z.NEVER;
  }
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2]!.toLowerCase() as 'm' | 'h' | 'd'];
});

/** `@U123`, `<@U123>` or `<@U123|name>` as Slack sends a mention, or a bare user ID */
export const slackUser = z.string().transform((raw, ctx) => {
  const m = /^(?:<@|@)?([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>?$/.exec(raw.trim());
  if (!m) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'type a person as a mention, e.g. @alice, or a Slack user ID such as U012ABC' });
    return z.NEVER;
  }
  return m[1]!;
});


/** A service or stack by name, ID or ID prefix: Docker's name rule (letters, digits, `.`, `_`, `-`), at most 63. */
export const serviceRef = z
  .string()
  .max(200)
  .transform((raw, ctx) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(raw)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${code(raw.slice(0, 63))} is not a service name. Type its name (letters, digits, . _ -) or ID, e.g. web or shop_api` });
      return z.NEVER;
    }
    return raw;
  });

/** `web=6 api=3`: replicas by service, 0 to 1,000 each */
export const scaleTargets = z.string().transform((raw, ctx) => {
  const out: Array<{ name: string; replicas: number }> = [];
  for (const word of raw.split(/\s+/).filter(Boolean)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,62})=(\d{1,4})$/.exec(word);
    if (!m || Number(m[2]) > 1000) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${code(word.slice(0, 70))} is not SERVICE=REPLICAS. Type e.g. \`web=6\` (0 to 1000 replicas)` });
      return z.NEVER;
    }
    if (out.some((o) => o.name === m[1])) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${code(m[1]!)} is named twice: say each service once` });
      return z.NEVER;
    }
    out.push({ name: m[1]!, replicas: Number(m[2]) });
  }
  if (!out.length) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'say which service and how many, e.g. `web=6`' });
    return z.NEVER;
  }
  return out;
});

/**
 * An image reference as Docker reads one: [registry[:port]/]path[:tag][@sha256:digest],
 * path components lower case; no tag and no digest means `:latest`, as the CLI sends it.
 */
const IMAGE = /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d{1,5})?|\[[0-9a-fA-F:]+\](?::\d{1,5})?)\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;
export const imageRef = z
  .string()
  .max(255)
  .transform((raw, ctx) => {
    const m = IMAGE.exec(raw);
    if (!m) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${code(raw.slice(0, 100))} is not an image reference. Type REPOSITORY[:TAG] or REPOSITORY@sha256:DIGEST, e.g. registry.example.com/shop/api:1.4.2 (repository names are lower case)` });
      return z.NEVER;
    }
    return m[1] || m[2] ? raw : `${raw}:latest`;
  });
