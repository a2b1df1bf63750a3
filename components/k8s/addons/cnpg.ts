import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../charts";
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
    return pinnedRelease(
        name,
        CHARTS.cnpgOperator,
        {
            release: "cnpg",
            namespace: args.namespace,
            createNamespace: true,
            values: operatorValues(args.monitoring),
            chartRepository: args.chartRepository,
        },
        opts,
    );
}

/** The Barman Cloud plugin (Helm): it must run in the operator's namespace, and needs cert-manager for its certificates. */
export function barmanCloudPluginRelease(
    name: string,
    args: CnpgAddonArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
    return pinnedRelease(
        name,
        CHARTS.barmanCloudPlugin,
        {
            release: "plugin-barman-cloud",
            namespace: args.namespace,
            createNamespace: true,
            values: backupPluginValues(),
            chartRepository: args.chartRepository,
        },
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
