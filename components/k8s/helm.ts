import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartSource, PinnedChart } from "./charts";

export interface PinnedReleaseArgs {
    /** Helm's release name (fixed, so the objects it names are predictable). */
    release: string;
    namespace: pulumi.Input<string>;
    values: Record<string, unknown>;
    /** `actors:chartRepository`: the mirror every chart comes from (empty: each chart's upstream repository). */
    chartRepository: string;
    createNamespace?: boolean;
    /** Roll back a failed install or upgrade (true unless the chart's readiness outlives Helm's wait). */
    atomic?: boolean;
}

/** A Helm release of one pinned chart: every chart this program installs goes through here. */
export function pinnedRelease(
    name: string,
    pinned: PinnedChart,
    args: PinnedReleaseArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
    const source = chartSource(pinned, args.chartRepository);
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.release,
            chart: source.chart,
            version: pinned.version,
            ...(source.repo ? { repositoryOpts: { repo: source.repo } } : {}),
            namespace: args.namespace,
            createNamespace: args.createNamespace ?? false,
            atomic: args.atomic ?? true,
            timeout: pinned.timeoutSeconds,
            values: args.values,
        },
        opts,
    );
}
