/**
 * Property values as the engine hands them to a provider plugin over the wire (the stand-in plugins here answer the
 * real Pulumi CLI through `main(provider, args)` from @pulumi/pulumi/provider): secrets arrive wrapped in Pulumi's
 * secret signature, values that preview cannot know yet arrive as the unknown sentinel. The plugins look through the
 * wrapping to do their work, and hand secrets back wrapped so that the engine keeps them secret in state.
 */
import * as fs from "fs";
import * as path from "path";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";

export type Props = Record<string, any>;

export function isSecret(value: unknown): value is { value: unknown } {
    return Boolean(value) && typeof value === "object" && (value as any)[specialSigKey] === specialSecretSig;
}

/** A value the engine stores encrypted. */
export function secret<T>(value: T): { value: T } {
    return { [specialSigKey]: specialSecretSig, value } as unknown as { value: T };
}

/** The value with every secret wrapping removed (deeply). */
export function reveal(value: any): any {
    if (isSecret(value)) return reveal(value.value);
    if (Array.isArray(value)) return value.map(reveal);
    if (value && typeof value === "object")
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
    return value;
}

/** True where preview does not know the value yet (anywhere inside it). */
export function containsUnknown(value: any): boolean {
    if (value === unknownValue) return true;
    if (isSecret(value)) return containsUnknown(value.value);
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
    return false;
}

/** Equal as the engine compares property values: secrets by what they hold; an unknown equals nothing. */
export function sameValue(a: any, b: any): boolean {
    if (containsUnknown(a) || containsUnknown(b)) return false;
    return JSON.stringify(canonical(reveal(a))) === JSON.stringify(canonical(reveal(b)));
}

function canonical(value: any): any {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === "object")
        return Object.fromEntries(
            Object.keys(value)
                .filter((k) => value[k] !== undefined && value[k] !== null)
                .sort()
                .map((k) => [k, canonical(value[k])]),
        );
    return value;
}

/** The version of the npm SDK package this plugin stands in for, so the engine finds the version it asks for. */
export function sdkVersion(pkg: string): string {
    const file = require.resolve(`@pulumi/${pkg}/package.json`, { paths: [process.cwd(), __dirname] });
    return JSON.parse(fs.readFileSync(path.resolve(file), "utf8")).version;
}

/** The resource type a URN names (urn:pulumi:<stack>::<project>::<parent types$>type::<name>). */
export function resourceType(urn: string): string {
    return urn.split("::")[2]?.split("$").pop() ?? "";
}
