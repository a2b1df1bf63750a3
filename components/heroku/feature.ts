import { ignoreNotFound } from "./api";
import { changedKeys, Created, DiffResult, herokuResource, HerokuResourceProvider, Updated } from "./herokuResource";

export interface HerokuFeatureInputs {
    appId: string;
    /** An app feature flag, such as preboot. */
    feature: string;
    enabled: boolean;
}

export class HerokuFeatureProvider extends HerokuResourceProvider<HerokuFeatureInputs, HerokuFeatureInputs> {
    async create(inputs: HerokuFeatureInputs): Promise<Created<HerokuFeatureInputs>> {
        await this.api().request("PATCH", `/apps/${inputs.appId}/features/${inputs.feature}`, {
            body: { enabled: inputs.enabled },
        });
        return { id: `${inputs.appId}/${inputs.feature}`, outs: inputs };
    }

    /** Another app or feature is another resource; turning it on or off is an update. */
    async diff(id: string, olds: HerokuFeatureInputs, news: HerokuFeatureInputs): Promise<DiffResult> {
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

/** An app feature flag. */
export class HerokuFeature extends herokuResource<HerokuFeatureInputs, HerokuFeatureInputs>("Feature", {
    legacyType: "HerokuAppFeature",
    outputs: [],
}) {}
