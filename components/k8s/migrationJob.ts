import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AppPod } from "./appPod";
import { appLabels } from "./labels";

/**
 * The migration Job's time budget. Every deadline and Pulumi's wait for the Job derive from these numbers, so the
 * provider never gives up on a Job that Kubernetes is still allowed to run.
 */
export const MIGRATION = {
    /** `bin/migrate --wait`: how long one attempt waits for the database to accept connections. */
    databaseWaitSeconds: 300,
    /** One attempt (pod) at most: the database wait plus the migrations themselves. */
    attemptSeconds: 600,
    /** Retries after a failed attempt. */
    backoffLimit: 3,
    /** What Pulumi allows beyond the Job's own deadline: scheduling, image pull, reporting the result. */
    awaitMarginSeconds: 120,
};

/** Kubernetes' pod-failure backoff before retry n (10 s, doubling, at most 6 minutes). */
const retryDelaySeconds = (n: number) => Math.min(10 * 2 ** n, 360);

/** The Job's activeDeadlineSeconds: every attempt at its own deadline, plus the backoff between them. */
export function migrationDeadlineSeconds(m = MIGRATION): number {
    let total = m.attemptSeconds * (m.backoffLimit + 1);
    for (let n = 0; n < m.backoffLimit; n++) total += retryDelaySeconds(n);
    return total;
}

/** How long Pulumi awaits the Job (its default is 10 minutes): the Job's deadline plus a margin. */
export function migrationAwaitSeconds(m = MIGRATION): number {
    return migrationDeadlineSeconds(m) + m.awaitMarginSeconds;
}

export interface MigrationJobArgs {
    namespace: pulumi.Input<string>;
    /** Content tag of the image: names the Job, so each new image migrates once. */
    imageTag: string;
    /** The app's pod (image, environment, security) the Job runs `bin/migrate` in. */
    pod: AppPod;
}

/**
 * The same command as Heroku's release phase; named by the image tag, so a new image runs it once, and the
 * Deployment waits for it (Pulumi awaits a Job until it completes).
 */
export function migrationJobArgs(args: MigrationJobArgs): k8s.batch.v1.JobArgs {
    return {
        metadata: {
            name: `actors-migrate-${args.imageTag.replace(/^sha-/, "").slice(0, 12)}`,
            namespace: args.namespace,
            labels: appLabels("migrate"),
            // The kubernetes provider awaits a Job for 10 minutes by default: wait as long as the Job may run.
            annotations: { "pulumi.com/timeoutSeconds": String(migrationAwaitSeconds()) },
        },
        spec: {
            backoffLimit: MIGRATION.backoffLimit,
            activeDeadlineSeconds: migrationDeadlineSeconds(),
            template: {
                metadata: { labels: appLabels("migrate") },
                spec: {
                    restartPolicy: "Never",
                    activeDeadlineSeconds: MIGRATION.attemptSeconds,
                    ...args.pod({
                        name: "migrate",
                        command: ["/app/bin/migrate", "--wait", String(MIGRATION.databaseWaitSeconds)],
                    }),
                },
            },
        },
    };
}
