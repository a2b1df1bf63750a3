import { ignoreNotFound, LogDrain } from "./api";
import { changedKeys, Created, DiffResult, herokuResource, HerokuResourceProvider } from "./herokuResource";

export interface HerokuLogDrainInputs {
    appId: string;
    /** A syslog or HTTPS endpoint; pass it as a secret (it carries the drain's credentials). */
    url: string;
}

/** A log drain: the app's log stream sent to a syslog or HTTPS endpoint. */
export class HerokuLogDrainProvider extends HerokuResourceProvider<HerokuLogDrainInputs, HerokuLogDrainInputs> {
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

    async diff(id: string, olds: HerokuLogDrainInputs, news: HerokuLogDrainInputs): Promise<DiffResult> {
        const replaces = changedKeys(olds, news, ["appId", "url"]);
        return { changes: replaces.length > 0, replaces };
    }

    async delete(id: string, props: HerokuLogDrainInputs): Promise<void> {
        await this.api().request("DELETE", `/apps/${props.appId}/log-drains/${id}`).catch(ignoreNotFound);
    }
}

export class HerokuLogDrain extends herokuResource<HerokuLogDrainInputs, HerokuLogDrainInputs>("LogDrain", {
    legacyType: "HerokuLogDrain",
    outputs: [],
}) {}
