import * as pulumi from "@pulumi/pulumi";
import { refusal } from "./refusal";

/**
 * The settings that say which database the stack runs, with their values (`actors:namespace` -> "actors"). A change
 * to any of them means another database in place of the running one: on Kubernetes a new namespace or cluster name,
 * or a cluster bootstrapped from a backup; on Heroku an add-on of another plan tier.
 */
export type DatabaseIdentity = Record<string, string>;

export interface DatabaseGuardArgs {
    /** actors:protectDatabase. */
    protectDatabase: boolean;
    identity: DatabaseIdentity;
}

/** What the guard keeps in the state: its inputs, as the last `up` gave them. */
const stateOf = (inputs: any): DatabaseGuardArgs => ({
    protectDatabase: Boolean(inputs?.protectDatabase),
    identity: { ...(inputs?.identity ?? {}) },
});

/** The identity settings whose value differs, as `actors:x "old" -> "new"`. */
function changedSettings(olds: DatabaseIdentity, news: DatabaseIdentity): string[] {
    return [...new Set([...Object.keys(olds), ...Object.keys(news)])]
        .filter((key) => (olds[key] ?? "") !== (news[key] ?? ""))
        .sort()
        .map((key) => `${key} "${olds[key] ?? ""}" -> "${news[key] ?? ""}"`);
}

/**
 * The guard's provider (serialized into the state, like every dynamic provider). Its diff refuses a change of the
 * database's identity while the deployed stack has the database protected, before the engine has applied anything.
 */
export const databaseGuardProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs) {
        return { id: "database-guard", outs: stateOf(inputs) };
    },
    async diff(_id, olds, news) {
        const before = stateOf(olds);
        const after = stateOf(news);
        const moved = changedSettings(before.identity, after.identity);
        if (moved.length > 0 && before.protectDatabase) {
            throw refusal(
                `refused: ${moved.join(", ")} would put another database in place of the running one, which is ` +
                    `protected (actors:protectDatabase is true); nothing was changed`,
                "to keep the data, set the setting back (to move the data, see docs/moving-data.md); to replace " +
                    "the database on purpose, run `pulumi config set protectDatabase false` and `pulumi up` first",
            );
        }
        // Only the settings matter: an edit to this code alone is no change.
        return { changes: moved.length > 0 || before.protectDatabase !== after.protectDatabase, replaces: [] };
    },
    async update(_id, _olds, news) {
        return { outs: stateOf(news) };
    },
};

/**
 * A resource that every resource of the platform's stack waits for: the engine registers nothing else until the
 * guard's step is done. When a setting would swap the protected database for another (a new namespace, cluster name
 * or bootstrap on Kubernetes; another plan tier on Heroku), the guard's diff refuses during the preview and before
 * `pulumi up` changes anything, naming the setting. Without it the engine would refuse only when it reached the
 * protected database, after applying what came before (a new namespace, a renamed secret), and leave the old ones
 * pending deletion for the next `pulumi up`, which would delete them from under the running database.
 */
export class DatabaseGuard extends pulumi.dynamic.Resource {
    declare readonly identity: pulumi.Output<DatabaseIdentity>;

    constructor(name: string, args: DatabaseGuardArgs, opts?: pulumi.CustomResourceOptions) {
        super(databaseGuardProvider, name, { protectDatabase: args.protectDatabase, identity: args.identity }, opts);
    }
}
