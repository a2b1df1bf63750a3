/**
 * The checks a setting's value goes through, each as its target checks it (the image reference grammar podman
 * parses, Kubernetes' quantity grammar, Heroku's Platform API patterns). A rule says what is allowed (`allowed`,
 * shown in docs/configuration.md) and, for a value, why it is not (`problem`: undefined when the value is fine).
 * Pure functions only: the loader, `npm run render`, move-data and the tests share them.
 */
export interface Rule<T> {
    /** What is allowed, phrased to follow "must be". */
    readonly allowed: string;
    /** Undefined when the value passes; else what is allowed (or a more precise reason), to follow "must be". */
    problem(value: T): string | undefined;
}

export const rule = <T>(allowed: string, ok: (value: T) => boolean): Rule<T> => ({
    allowed,
    problem: (v) => (ok(v) ? undefined : allowed),
});

export const pattern = (re: RegExp, allowed: string): Rule<string> => rule(allowed, (v) => re.test(v));

/** An empty string (the setting's "not set"), or a value the rule accepts. */
export const emptyOr = (inner: Rule<string>): Rule<string> => ({
    allowed: `empty, or ${inner.allowed}`,
    problem: (v) => (v === "" ? undefined : inner.problem(v)),
});

export const quoteList = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(", ");

// --- whole numbers

/** Digits only, no sign, no leading zero: "1e1", "0x3", " 3 ", "3.0", "+3" and "03" are not whole numbers here. */
const WHOLE = /^(0|[1-9][0-9]*)$/;

export function parseWholeNumber(raw: string): number | undefined {
    return WHOLE.test(raw) && raw.length <= 15 ? Number(raw) : undefined;
}

// --- image repository: the distribution reference grammar (github.com/distribution/reference, regexp.go)

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN_AND_PORT = `${HOST}(?::[0-9]+)?`;
const REPOSITORY_NAME = new RegExp(`^(?:${DOMAIN_AND_PORT}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
/** containers/image (what podman parses with) limits the whole name, host included. */
const REPOSITORY_NAME_MAX = 255;

const IMAGE_REPOSITORY_ALLOWED =
    `an image repository [HOST[:PORT]/]PATH, such as ghcr.io/acme/actors or localhost:5001/actors: PATH is ` +
    `"/"-separated components of lowercase letters and digits joined by ".", "_", "__" or "-", with no tag or ` +
    `digest (the program tags the image by content), at most ${REPOSITORY_NAME_MAX} characters`;

export const IMAGE_REPOSITORY: Rule<string> = {
    allowed: IMAGE_REPOSITORY_ALLOWED,
    problem(v) {
        if (v.length > REPOSITORY_NAME_MAX) return `${IMAGE_REPOSITORY_ALLOWED} (this one has ${v.length})`;
        if (REPOSITORY_NAME.test(v)) return undefined;
        const tagged = new RegExp(`^(.+?)(?::${TAG})?(?:@${DIGEST})?$`).exec(v);
        if (tagged && tagged[1] !== v && REPOSITORY_NAME.test(tagged[1]))
            return `a repository without a tag or digest, such as ${tagged[1]} (the program tags the image by content)`;
        return IMAGE_REPOSITORY_ALLOWED;
    },
};

// --- Kubernetes quantities (k8s.io/apimachinery/pkg/api/resource, quantity.go)

/**
 * <quantity> ::= <sign>? <number> <suffix>; <number> ::= digits | digits.digits | digits. | .digits;
 * <suffix> ::= Ki|Mi|Gi|Ti|Pi|Ei | m|""|k|M|G|T|P|E | (e|E)<sign>?digits.
 */
const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|m|k|M|G|T|P|E|)$/;
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** An exact quantity: numerator / denominator (both BigInt, denominator > 0). */
export interface Quantity {
    num: bigint;
    den: bigint;
}

export function parseQuantity(raw: string): Quantity | undefined {
    const m = QUANTITY.exec(raw);
    if (!m) return undefined;
    const [, sign, number, suffix] = m;
    const [whole, fraction = ""] = number.split(".");
    let num = BigInt((whole || "0") + fraction) * (sign === "-" ? -1n : 1n);
    let exp10 = -fraction.length;
    if (suffix in BINARY) num *= 2n ** BigInt(BINARY[suffix]);
    else if (suffix in DECIMAL) exp10 += DECIMAL[suffix];
    else exp10 += Number(suffix.slice(1));
    if (Math.abs(exp10) > 1000) return undefined;
    return exp10 >= 0 ? { num: num * 10n ** BigInt(exp10), den: 1n } : { num, den: 10n ** BigInt(-exp10) };
}

/** Negative, zero or positive as a is less than, equal to or greater than b. */
export const compareQuantities = (a: Quantity, b: Quantity): number => {
    const d = a.num * b.den - b.num * a.den;
    return d < 0n ? -1 : d > 0n ? 1 : 0;
};

const quantityRule = (allowed: string, extra: (q: Quantity) => boolean = () => true): Rule<string> =>
    rule(allowed, (v) => {
        const q = parseQuantity(v);
        return q !== undefined && q.num > 0n && extra(q);
    });

export const CPU_QUANTITY = quantityRule(
    'a Kubernetes CPU quantity greater than zero, such as "250m", "0.5" or "2" (cores; "m" is thousandths)',
);
/** Memory and volume sizes: a whole number of bytes ("256m" is 0.256 bytes, the usual slip for "256Mi"). */
export const BYTE_QUANTITY = quantityRule(
    'a Kubernetes quantity of bytes greater than zero, such as "256Mi", "1Gi" or "500M" (Ki/Mi/Gi are powers of 1024, k/M/G of 1000; "m" is thousandths, not mega)',
    (q) => q.num % q.den === 0n,
);

// --- names

export const DNS_LABEL = pattern(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    "a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63",
);
/** Most Kubernetes object names (IngressClass, StorageClass, GatewayClass, ClusterIssuer): RFC 1123 subdomains. */
export const DNS_SUBDOMAIN = pattern(
    /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    "a Kubernetes object name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253",
);
export const HOSTNAME = pattern(
    /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/,
    "a fully qualified lowercase host name such as actors.example.com",
);

/**
 * A Heroku app name, as the Platform API schema's `app` → `name` pattern has it (test/reference/
 * heroku-platform-api.schema.json): the one rule of the program's herokuAppName and move-data's --heroku-app.
 */
export const HEROKU_APP_NAME = pattern(
    /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/,
    "a Heroku app name: 3 to 30 lowercase letters, digits and '-', starting with a letter and not ending with '-'",
);
export const isHerokuAppName = (name: string) => HEROKU_APP_NAME.problem(name) === undefined;

// --- times, URLs, lists

/** An RFC 3339 timestamp with an explicit offset, naming a real instant (no 30 February). */
export const RFC3339: Rule<string> = rule(
    "an RFC 3339 timestamp with a time zone, such as 2026-11-26T21:30:00Z or 2026-11-26T22:30:00+01:00",
    (v) => {
        const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/.exec(v);
        if (!m) return false;
        const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
        const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
        return (
            date.getUTCFullYear() === year &&
            date.getUTCMonth() === month - 1 &&
            date.getUTCDate() === day &&
            hour < 24 &&
            minute < 60 &&
            second < 60 &&
            (m[9] === undefined || (Number(m[9]) < 24 && Number(m[10]) < 60))
        );
    },
);

/** Environment the program sets itself on both platforms; users cannot override these through appEnv. */
export const RESERVED_ENV = ["DATABASE_URL", "PORT", "WEB_CONCURRENCY", "PGSSLMODE", "LOG_LEVEL"];

export const ENV_LIST: Rule<string[]> = {
    allowed: `a list of "NAME=value" strings, NAME in upper case and none of ${RESERVED_ENV.join(", ")}`,
    problem(list) {
        for (const entry of list) {
            const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/s.exec(entry);
            if (!match) return 'a list of "NAME=value" strings with NAME in upper case';
            if (RESERVED_ENV.includes(match[1]))
                return `a list without the names the program sets itself (${RESERVED_ENV.join(", ")})`;
        }
        return undefined;
    },
};

// --- near misses

/** Levenshtein distance, case-insensitive. */
function editDistance(a: string, b: string): number {
    a = a.toLowerCase();
    b = b.toLowerCase();
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++)
            row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = row;
    }
    return prev[b.length];
}

/** The candidate closest to `word`, when close enough to be a slip (a third of its length, at least 2 edits). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
    for (const c of candidates) {
        const d = editDistance(word, c);
        if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    return best;
}
