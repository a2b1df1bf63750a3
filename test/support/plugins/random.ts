/**
 * STAND-IN for the random provider plugin (pulumi-resource-random), whose Go module the Go proxy here refuses. It
 * serves RandomString and RandomPassword to the real Pulumi engine with the behaviour of terraform-provider-random
 * (which pulumi-random bridges; read to learn it, nothing copied):
 *
 * - Check: length is required and at least 1, and at least minUpper + minLower + minNumeric + minSpecial; the
 *   min* counts are whole numbers from 0; the flags are booleans; keepers is a map of strings.
 * - Diff: every input forces a replacement (keepers included); the defaults (upper, lower, numeric/number,
 *   special: true; min*: 0) count as given.
 * - Create: `length` characters from the enabled classes (special: !@#$%&*()-_=+[]{}<>:? or overrideSpecial), at
 *   least min* of each, shuffled. RandomString's id is its result; RandomPassword's id is "none", and its result and
 *   bcryptHash are secrets.
 *
 * Values come from crypto randomness. Tests may fix them: ACTORS_RANDOM_SEED makes every value a function of the
 * seed and the resource's URN; ACTORS_RANDOM_SENTINEL starts every RandomPassword result with that text, so a test
 * can search state and logs for the plain password.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import { main } from "@pulumi/pulumi/provider";
import type { CheckFailure, Provider } from "@pulumi/pulumi/provider";
import { containsUnknown, Props, resourceType, reveal, sameValue, sdkVersion, secret } from "./values";

const STRING_TYPE = "random:index/randomString:RandomString";
const PASSWORD_TYPE = "random:index/randomPassword:RandomPassword";

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC = "0123456789";
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";
const FLAGS = ["upper", "lower", "numeric", "number", "special"];
const COUNTS = ["minUpper", "minLower", "minNumeric", "minSpecial"];
/** Every input of both resources; each forces a replacement. */
const INPUTS = ["length", "keepers", ...FLAGS, ...COUNTS, "overrideSpecial"];

function checkInputs(news: Props): CheckFailure[] {
    const failures: CheckFailure[] = [];
    const v = reveal(news);
    const isKnown = (k: string) => v[k] !== undefined && v[k] !== null && !containsUnknown(v[k]);
    if (v.length === undefined || v.length === null)
        failures.push({ property: "length", reason: "Missing required argument: length" });
    else if (isKnown("length") && (!Number.isInteger(v.length) || v.length < 1))
        failures.push({ property: "length", reason: `Attribute length value must be at least 1, got: ${v.length}` });
    for (const k of COUNTS)
        if (isKnown(k) && (!Number.isInteger(v[k]) || v[k] < 0))
            failures.push({
                property: k,
                reason: `Attribute ${k} must be a whole number from 0, got: ${JSON.stringify(v[k])}`,
            });
    for (const k of FLAGS)
        if (isKnown(k) && typeof v[k] !== "boolean")
            failures.push({ property: k, reason: `Attribute ${k} must be a boolean, got: ${JSON.stringify(v[k])}` });
    if (isKnown("overrideSpecial") && typeof v.overrideSpecial !== "string")
        failures.push({ property: "overrideSpecial", reason: "Attribute overrideSpecial must be a string" });
    if (isKnown("keepers") && (typeof v.keepers !== "object" || Array.isArray(v.keepers)))
        failures.push({ property: "keepers", reason: "Attribute keepers must be a map of strings" });
    if (!failures.length && isKnown("length") && COUNTS.every(isKnown)) {
        const sum = COUNTS.reduce((s, k) => s + (v[k] ?? 0), 0);
        if (v.length < sum)
            failures.push({
                property: "length",
                reason: `Attribute length value must be at least sum of minUpper + minLower + minNumeric + minSpecial (${sum}), got: ${v.length}`,
            });
    }
    return failures;
}

/** The inputs with the provider's defaults filled in, as they are kept in state. */
function withDefaults(inputs: Props): Props {
    const out: Props = { ...inputs };
    // number is the deprecated name of numeric: setting either to false turns both off.
    const numeric = out.numeric !== false && out.number !== false;
    out.numeric = out.number = numeric;
    for (const k of ["upper", "lower", "special"]) if (out[k] === undefined || out[k] === null) out[k] = true;
    for (const k of COUNTS) if (out[k] === undefined || out[k] === null) out[k] = 0;
    return out;
}

/** Random bytes: crypto randomness, or a stream fixed by ACTORS_RANDOM_SEED and the URN. */
function randomSource(urn: string): (n: number) => Buffer {
    const seed = process.env.ACTORS_RANDOM_SEED;
    if (!seed) return (n) => crypto.randomBytes(n);
    let counter = 0;
    return (n) => {
        const chunks: Buffer[] = [];
        for (let have = 0; have < n; have += 32)
            chunks.push(crypto.createHmac("sha256", seed).update(`${urn}\0${counter++}`).digest());
        return Buffer.concat(chunks).subarray(0, n);
    };
}

/** A uniformly chosen index below n (rejection sampling, no modulo bias). */
function randomIndex(bytes: (n: number) => Buffer, n: number): number {
    const limit = 65536 - (65536 % n);
    for (;;) {
        const x = bytes(2).readUInt16BE(0);
        if (x < limit) return x % n;
    }
}

function generate(p: Props, bytes: (n: number) => Buffer): string {
    const special = p.overrideSpecial ? String(p.overrideSpecial) : SPECIAL;
    const classes: [string, boolean, number][] = [
        [UPPER, p.upper, p.minUpper],
        [LOWER, p.lower, p.minLower],
        [NUMERIC, p.numeric, p.minNumeric],
        [special, p.special, p.minSpecial],
    ];
    const all = classes
        .filter(([, on]) => on)
        .map(([chars]) => chars)
        .join("");
    const pick = (chars: string) => chars[randomIndex(bytes, chars.length)];
    const result: string[] = [];
    for (const [chars, , min] of classes) for (let i = 0; i < min; i++) result.push(pick(chars));
    if (result.length < p.length && !all)
        throw new Error("random: no character class is enabled (upper, lower, numeric and special are all false)");
    while (result.length < p.length) result.push(pick(all));
    for (let i = result.length - 1; i > 0; i--) {
        const j = randomIndex(bytes, i + 1);
        [result[i], result[j]] = [result[j], result[i]];
    }
    return result.join("");
}

/** bcrypt of the password (cost 10, as the real provider), by htpasswd, the password on stdin. */
function bcrypt(password: string): string {
    const r = spawnSync("htpasswd", ["-niBC", "10", ""], { input: password, encoding: "utf8" });
    if (r.error || r.status !== 0)
        throw new Error(`random: bcryptHash needs htpasswd (Debian's apache2-utils): ${r.error?.message ?? r.stderr}`);
    return r.stdout
        .trim()
        .replace(/^:/, "")
        .replace(/^\$2y\$/, "$2a$");
}

function create(urn: string, inputs: Props): { id: string; outs: Props } {
    const type = resourceType(urn);
    const p = withDefaults(reveal(inputs));
    let result = generate(p, randomSource(urn));
    if (type === STRING_TYPE) return { id: result, outs: { ...withDefaults(inputs), result } };
    const sentinel = process.env.ACTORS_RANDOM_SENTINEL;
    if (sentinel) {
        if (sentinel.length > p.length)
            throw new Error(
                `ACTORS_RANDOM_SENTINEL is ${sentinel.length} characters, longer than the password's length ${p.length}`,
            );
        result = sentinel + result.slice(sentinel.length);
    }
    return {
        id: "none",
        outs: { ...withDefaults(inputs), result: secret(result), bcryptHash: secret(bcrypt(result)) },
    };
}

const randomProvider: Provider = {
    version: sdkVersion("random"),
    async check(urn, _olds, news) {
        if (![STRING_TYPE, PASSWORD_TYPE].includes(resourceType(urn)))
            throw new Error(`the random stand-in serves RandomString and RandomPassword only, not ${urn}`);
        return { inputs: news, failures: checkInputs(news) };
    },
    async diff(_id, _urn, olds, news) {
        const after = withDefaults(news);
        const replaces = INPUTS.filter((k) => !sameValue(olds[k], after[k]));
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
    },
    async create(urn, inputs) {
        return create(urn, inputs);
    },
    async read(id, _urn, props) {
        return { id, props };
    },
    async delete() {},
};

if (require.main === module) main(randomProvider, process.argv.slice(2));
