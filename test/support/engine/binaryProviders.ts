/**
 * What the harness answers for resources of the provider plugins that are Go binaries (kubernetes, docker, random)
 * and for their provider resources. Outputs are the mocks' (test/support/planMocks.ts mockState), kept in state across
 * runs. Diffs are computed from inputs; the rules that turn a change into a replacement are deliberately few:
 *
 *   kubernetes objects   apiVersion, kind, metadata.name or metadata.namespace; a Job's spec (immutable);
 *                        a workload's spec.selector (immutable); a Secret's type
 *   helm.sh/v3:Release   name, namespace
 *   docker Image         nothing: any change (image name, build inputs, or the build context's content,
 *                        Dockerfile and build arguments: a new build) is an update with a new digest
 *   random:*             any input (the random provider replaces on every change)
 *   kubernetes provider  context, kubeconfig, cluster; other inputs update
 *
 * Kubernetes objects are validated in Check against the schemas (kubernetes-models), as the API server would.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { contextHash } from "../../../components/contextHash";
import { mockState, MockValues } from "../planMocks";
import { validateKubernetesObject } from "../helpers";
import { CheckFailure, DiffAnswer } from "./dynamicPlugin";
import { changedKeys, containsUnknown, Props, reveal, sameValue } from "./values";

const sha256 = (text: string) => crypto.createHash("sha256").update(text).digest("hex");

/** A stand-in for one binary provider plugin. */
export interface BinaryProvider {
    check(type: string, olds: Props | undefined, news: Props): { inputs: Props; failures: CheckFailure[] };
    /** What a build or apply would make of these inputs beyond the inputs themselves (the docker image's content). */
    fingerprint(type: string, inputs: Props): string | undefined;
    diff(type: string, olds: Props, news: Props, oldFingerprint?: string, newFingerprint?: string): DiffAnswer;
    create(type: string, name: string, inputs: Props, fingerprint?: string): Props;
}

const WORKLOADS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"];

function replaceKeys(type: string, olds: Props, news: Props): string[] {
    const differs = (get: (p: Props) => unknown) => !sameValue(get(olds), get(news));
    const keys: string[] = [];
    if (type.startsWith("random:")) return changedKeys(olds, news);
    if (type === "docker:index/image:Image") return [];
    if (type === "kubernetes:helm.sh/v3:Release") return ["name", "namespace"].filter((k) => differs((p) => p[k]));
    if (type.startsWith("pulumi:providers:"))
        return ["context", "kubeconfig", "cluster"].filter((k) => differs((p) => p[k]));
    if (type.startsWith("kubernetes:")) {
        for (const k of ["apiVersion", "kind"]) if (differs((p) => p[k])) keys.push(k);
        for (const k of ["name", "namespace"]) if (differs((p) => p.metadata?.[k])) keys.push(`metadata.${k}`);
        if (news.kind === "Job" && differs((p) => p.spec)) keys.push("spec");
        if (WORKLOADS.includes(news.kind) && differs((p) => p.spec?.selector)) keys.push("spec.selector");
        if (news.kind === "Secret" && differs((p) => p.type)) keys.push("type");
    }
    return keys;
}

/** The stand-in for kubernetes, docker and random, with the values a generated secret or a random string get. */
export function binaryProviders(values: MockValues): BinaryProvider {
    return {
        check(type, olds, news) {
            const inputs = { ...news };
            // The kubernetes provider keeps an auto-generated name across updates (it stores it in the inputs).
            if (type.startsWith("kubernetes:") && inputs.metadata && !inputs.metadata.name && olds?.metadata?.name)
                inputs.metadata = { ...inputs.metadata, name: olds.metadata.name };
            const failures: CheckFailure[] = [];
            if (type.startsWith("kubernetes:") && inputs.apiVersion && inputs.kind && !containsUnknown(inputs)) {
                try {
                    validateKubernetesObject(reveal(inputs));
                } catch (err) {
                    failures.push({ property: "", reason: String((err as Error).message) });
                }
            }
            return { inputs, failures };
        },

        fingerprint(type, inputs) {
            if (type !== "docker:index/image:Image" || containsUnknown(inputs)) return undefined;
            const build = reveal(inputs.build ?? {});
            const context = String(build.context ?? ".");
            const dockerfile = path.resolve(context, String(build.dockerfile ?? "Dockerfile"));
            // What the image is made of: the context as the builder sees it, the Dockerfile, the arguments, the
            // platform. Where the checkout lives is not part of it.
            return sha256(
                JSON.stringify([
                    fs.existsSync(context) ? contextHash(context) : "",
                    fs.existsSync(dockerfile) ? fs.readFileSync(dockerfile, "utf8") : "",
                    build.args ?? {},
                    build.platform ?? "",
                    build.target ?? "",
                ]),
            );
        },

        diff(type, olds, news, oldFingerprint, newFingerprint) {
            const changed = changedKeys(olds, news);
            const rebuilt = oldFingerprint !== newFingerprint;
            const replaces = changed.length ? replaceKeys(type, olds, news) : [];
            return {
                changes: changed.length || rebuilt ? "some" : "none",
                replaces,
                deleteBeforeReplace: false,
            };
        },

        create(type, name, inputs, fingerprint) {
            const state = mockState(type, name, inputs, {
                ...values,
                // A pushed image's digest follows from what was built, as a registry's does.
                repoDigest: (imageName) =>
                    `${imageName.replace(/:[^:/]+$/, "")}@sha256:${sha256(`${imageName}\0${fingerprint ?? ""}`)}`,
            });
            return state;
        },
    };
}
