import type * as pulumi from "@pulumi/pulumi";
import { ignoreNotFound } from "./api";
import { changedKeys, Created, HerokuProvider, Updated } from "./provider";
import { herokuResource } from "./resource";

export interface HerokuFeatureInputs {
    appId: string;
    /** An app feature flag, such as preboot. */
    feature: string;
    enabled: boolean;
}

export class HerokuFeatureProvider extends HerokuProvider<HerokuFeatureInputs, HerokuFeatureInputs> {
    async create(inputs: HerokuFeatureInputs): Promise<Created<HerokuFeatureInputs>> {
        await this.api().request("PATCH", `/apps/${inputs.appId}/features/${inputs.feature}`, {
            body: { enabled: inputs.enabled },
        });
        return { id: `${inputs.appId}/${inputs.feature}`, outs: inputs };
    }

    /** Another app or feature is another resource; turning it on or off is an update. */
    async diff(id: string, olds: HerokuFeatureInputs, news: HerokuFeatureInputs): Promise<pulumi.dynamic.DiffResult> {
        const replaces = changedKeys(olds, news, ["appId", "feature"]);
        return { changes: replaces.length > 0 || changedKeys(olds, news, ["enabled"]).length > 0, replaces };
    }

    async update(
        id: string,
        olds: HerokuFeatureInputs,
        news: HerokuFeatureInputs,
    ): Promise<Updated<HerokuFeatureInputs>> {
        return { outs: (await this.create(news)).outs };
    }

    async delete(id: string, props: HerokuFeatureInputs): Promise<void> {
        await this.api()
            .request("PATCH", `/apps/${props.appId}/features/${props.feature}`, { body: { enabled: false } })
            .catch(ignoreNotFound);
    }
}

/** An app feature flag. Type token as it always was: HerokuAppFeature. */
export class HerokuFeature extends herokuResource(
    { kind: "feature", type: "HerokuAppFeature" },
    () => new HerokuFeatureProvider(),
) {
    constructor(
        name: string,
        args: { appId: pulumi.Input<string>; feature: string; enabled: boolean },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(name, args, opts);
    }
}
