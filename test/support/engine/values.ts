/**
 * Property values as they travel between the program, the engine and providers: plain JSON plus Pulumi's special
 * markers (the secret wrapper and the unknown sentinel), taken from the SDK itself rather than copied.
 */
import * as crypto from "crypto";
import * as path from "path";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { isSecretMarker } from "../planMocks";
import { unwrapSecrets } from "../helpers";

/** A module as @pulumi/pulumi resolves it: its generated stubs need their own copy of google-protobuf. */
export function sdkModule(id: string): string {
    return require.resolve(id, { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] });
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { Struct } = require(sdkModule("google-protobuf/google/protobuf/struct_pb"));

export { isSecretMarker, unknownValue };
export type Props = Record<string, any>;

export const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
export const isUnknown = (value: unknown) => value === unknownValue;

/** Drops undefined (a Struct cannot carry it). */
export function toStruct(props: Props): any {
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(props ?? {})));
}

export function fromStruct(struct: any): Props {
    return struct ? struct.toJavaScript() : {};
}

/** The value with every secret wrapper removed (what a provider that does not accept secrets is sent). */
export const reveal = unwrapSecrets;

export function containsSecret(value: any): boolean {
    if (Array.isArray(value)) return value.some(containsSecret);
    if (value && typeof value === "object") return isSecretMarker(value) || Object.values(value).some(containsSecret);
    return false;
}

export function containsUnknown(value: any): boolean {
    if (isUnknown(value)) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
    return false;
}

/**
 * What the engine does with the results of a provider that does not accept secrets (pulumi's annotateSecrets): an
 * output property whose input was secret becomes secret again, recursively through objects and arrays.
 */
export function annotateSecrets(outs: any, ins: any): any {
    if (isSecretMarker(ins)) return isSecretMarker(outs) ? outs : secret(outs);
    if (Array.isArray(ins) && Array.isArray(outs))
        return outs.map((o, i) => (i < ins.length ? annotateSecrets(o, ins[i]) : o));
    if (ins && typeof ins === "object" && outs && typeof outs === "object" && !Array.isArray(outs)) {
        const result: Props = { ...outs };
        for (const key of Object.keys(ins)) if (key in result) result[key] = annotateSecrets(result[key], ins[key]);
        return result;
    }
    return outs;
}

/** Deep equality on values as the engine compares them (secret wrappers do not count, unknowns differ from all). */
export function sameValue(a: any, b: any): boolean {
    if (isUnknown(a) || isUnknown(b)) return false;
    return stable(reveal(a)) === stable(reveal(b));
}

function stable(value: any): string {
    if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`;
    if (value && typeof value === "object")
        return `{${Object.keys(value)
            .filter((k) => value[k] !== undefined)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${stable(value[k])}`)
            .join(",")}}`;
    return JSON.stringify(value ?? null);
}

/** Top-level keys whose values differ (what a provider's default diff reports). */
export function changedKeys(olds: Props, news: Props): string[] {
    const keys = new Set([...Object.keys(olds ?? {}), ...Object.keys(news ?? {})]);
    return [...keys].filter((k) => !sameValue(olds?.[k], news?.[k])).sort();
}

/**
 * A copy in which every secret is encrypted, as Pulumi's state file keeps them (`{sig, ciphertext}`): writing
 * state through this is what makes "no secret in plain text in state" checkable on the text itself.
 */
export function encryptSecrets(value: any, key: Buffer): any {
    if (Array.isArray(value)) return value.map((v) => encryptSecrets(v, key));
    if (value && typeof value === "object") {
        if (isSecretMarker(value)) {
            const iv = crypto.randomBytes(12);
            const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
            const body = Buffer.concat([cipher.update(JSON.stringify(value.value ?? null)), cipher.final()]);
            const ciphertext = Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
            return { [specialSigKey]: specialSecretSig, ciphertext };
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encryptSecrets(v, key)]));
    }
    return value;
}

export function decryptSecrets(value: any, key: Buffer): any {
    if (Array.isArray(value)) return value.map((v) => decryptSecrets(v, key));
    if (value && typeof value === "object") {
        if (value[specialSigKey] === specialSecretSig && typeof value.ciphertext === "string") {
            const raw = Buffer.from(value.ciphertext, "base64");
            const decipher = crypto.createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
            decipher.setAuthTag(raw.subarray(12, 28));
            const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString();
            return secret(JSON.parse(text));
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decryptSecrets(v, key)]));
    }
    return value;
}
