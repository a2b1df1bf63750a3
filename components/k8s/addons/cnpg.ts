import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS, PinnedChart } from "../charts";
import { pinnedRelease } from "../helm";

/** The plugin's name, as Clusters, ScheduledBackups and externalClusters refer to it. */
export const BARMAN_CLOUD_PLUGIN = "barman-cloud.cloudnative-pg.io";

export interface CnpgAddonArgs {
    /** Where the operator runs (installed there, or already running there); the plugin must run there too. */
    namespace: string;
    /** `actors:chartRepository`: the mirror the charts come from (empty: upstream). */
    chartRepository: string;
}

/** The CloudNativePG operator (Helm), cluster-wide, with its CRDs. */
export function cnpgOperatorRelease(
    name: string,
    args: CnpgAddonArgs & { monitoring: boolean },
    opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
    return operatorNamespaceRelease(name, CHARTS.cnpgOperator, "cnpg", operatorValues(args.monitoring), args, opts);
}

/** The Barman Cloud plugin (Helm): it must run in the operator's namespace, and needs cert-manager for its certificates. */
export function barmanCloudPluginRelease(
    name: string,
    args: CnpgAddonArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
    return operatorNamespaceRelease(
        name,
        CHARTS.barmanCloudPlugin,
        "plugin-barman-cloud",
        backupPluginValues(),
        args,
        opts,
    );
}

/** A chart released into the operator's namespace (created if missing). */
function operatorNamespaceRelease(
    name: string,
    pinned: PinnedChart,
    release: string,
    values: Record<string, unknown>,
    args: CnpgAddonArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
    return pinnedRelease(
        name,
        pinned,
        { release, namespace: args.namespace, createNamespace: true, values, chartRepository: args.chartRepository },
        opts,
    );
}

function operatorValues(monitoring: boolean): Record<string, unknown> {
    return { crds: { create: true }, config: { clusterWide: true }, monitoring: { podMonitorEnabled: monitoring } };
}

function backupPluginValues(): Record<string, unknown> {
    // Requests only: the chart sets none, and a guessed memory limit could kill the plugin mid-backup.
    return { crds: { create: true }, resources: { requests: { cpu: "50m", memory: "64Mi" } } };
}
