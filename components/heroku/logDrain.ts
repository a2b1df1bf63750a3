import * as pulumi from "@pulumi/pulumi";
import { ignoreNotFound, LogDrain } from "./api";
import { changedKeys, Created, HerokuProvider } from "./provider";
import { herokuResource } from "./resource";

export interface HerokuLogDrainInputs {
    appId: string;
    /** A syslog or HTTPS endpoint; a secret (it carries tokens). */
    url: string;
}

/** A log drain: the app's log stream sent to a syslog or HTTPS endpoint. */
export class HerokuLogDrainProvider extends HerokuProvider<HerokuLogDrainInputs, HerokuLogDrainInputs> {
    async create(inputs: HerokuLogDrainInputs): Promise<Created<HerokuLogDrainInputs>> {
        const api = this.api();
        const existing = (await api.list<LogDrain>(`/apps/${inputs.appId}/log-drains`)).find(
            (d) => d.url === inputs.url,
        );
        const drain =
            existing ??
            (await api.request<LogDrain>("POST", `/apps/${inputs.appId}/log-drains`, { body: { url: inputs.url } }));
        return { id: drain.id, outs: inputs };
    }

    async diff(id: string, olds: HerokuLogDrainInputs, news: HerokuLogDrainInputs): Promise<pulumi.dynamic.DiffResult> {
        const replaces = changedKeys(olds, news, ["appId", "url"]);
        return { changes: replaces.length > 0, replaces };
    }

    async delete(id: string, props: HerokuLogDrainInputs): Promise<void> {
        await this.api().request("DELETE", `/apps/${props.appId}/log-drains/${id}`).catch(ignoreNotFound);
    }
}

export class HerokuLogDrain extends herokuResource(
    { kind: "logDrain", type: "HerokuLogDrain" },
    () => new HerokuLogDrainProvider(),
) {
    constructor(
        name: string,
        args: { appId: pulumi.Input<string>; url: pulumi.Input<string> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        // The URL carries the drain's credentials.
        super(name, { appId: args.appId, url: pulumi.secret(args.url) }, opts);
    }
}
