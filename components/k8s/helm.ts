import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** A Helm chart pinned to one version of one repository: every chart this program installs is one of these. */
export interface PinnedChart {
    chart: string;
    version: string;
    repo: string;
    /**
     * How long Helm may wait for the release's objects (and hooks) to become ready, in seconds. Helm's default is
     * 300 s; each chart states what it waits for, so a heavy chart is not rolled back half-installed.
     */
    timeoutSeconds: number;
}

export interface PinnedReleaseArgs {
    /** Helm's release name (fixed, so the objects it names are predictable). */
    release: string;
    namespace: pulumi.Input<string>;
    values: Record<string, unknown>;
    createNamespace?: boolean;
    /** Roll back a failed install or upgrade (true unless the chart's readiness outlives Helm's wait). */
    atomic?: boolean;
}

export function pinnedRelease(
    name: string,
    pinned: PinnedChart,
    args: PinnedReleaseArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.release,
            chart: pinned.chart,
            version: pinned.version,
            repositoryOpts: { repo: pinned.repo },
            namespace: args.namespace,
            createNamespace: args.createNamespace ?? false,
            atomic: args.atomic ?? true,
            timeout: pinned.timeoutSeconds,
            values: args.values,
        },
        opts,
    );
}
