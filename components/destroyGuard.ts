import * as pulumi from "@pulumi/pulumi";
import { refusal } from "./refusal";

export interface DestroyGuardArgs {
    /** actors:protectDatabase: while true, deleting the guard (and so destroying the stack) is refused. */
    protectDatabase: boolean;
}

/**
 * The guard's provider. Serialized into the state, so a `destroy` runs the code that the last `up` saved, from any
 * checkout. Its only effect is to refuse its own deletion while the database is protected.
 */
const guardProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs) {
        return { id: "destroy-guard", outs: { protectDatabase: Boolean(inputs.protectDatabase) } };
    },
    async diff(_id, olds, news) {
        // Only the setting matters: an edit to this code alone is no change.
        return { changes: Boolean(olds.protectDatabase) !== Boolean(news.protectDatabase), replaces: [] };
    },
    async update(_id, _olds, news) {
        return { outs: { protectDatabase: Boolean(news.protectDatabase) } };
    },
    async delete(_id, outs) {
        if (!outs.protectDatabase) return;
        // One line: what is protected, that nothing changed, and how to destroy on purpose.
        throw refusal(
            "destroy refused: the database is protected (actors:protectDatabase is true) and nothing was changed",
            "to delete the stack and its data, run `pulumi config set protectDatabase false`, `pulumi up`, then " +
                "`pulumi destroy`",
        );
    },
};

/**
 * A resource that every other resource of the stack is a dependency of. The engine deletes dependents first, so on
 * `pulumi destroy` the guard is the first and only resource it tries to delete; while the database is protected
 * that delete is refused, and the engine then skips every dependency of a failed delete: nothing else is touched.
 * A replacement elsewhere in the stack does not replace the guard (it depends on the others only by `dependsOn`).
 */
export class DestroyGuard extends pulumi.dynamic.Resource {
    declare readonly protectDatabase: pulumi.Output<boolean>;

    constructor(name: string, args: DestroyGuardArgs, opts: pulumi.CustomResourceOptions) {
        super(guardProvider, name, { protectDatabase: args.protectDatabase }, opts);
    }
}
