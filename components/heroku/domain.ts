import { Domain, ignoreNotFound } from "./api";
import { changedKeys, Created, DiffResult, herokuResource, HerokuResourceProvider } from "./herokuResource";

export interface HerokuDomainInputs {
    appId: string;
    hostname: string;
}

export interface HerokuDomainOutputs extends HerokuDomainInputs {
    /** The DNS target Heroku assigns (such as example-1234.herokudns.com): point a CNAME or ALIAS record at it. */
    cname: string;
}

/** A custom domain, with Automated Certificate Management turned on for the app. */
export class HerokuDomainProvider extends HerokuResourceProvider<HerokuDomainInputs, HerokuDomainOutputs> {
    async create(inputs: HerokuDomainInputs): Promise<Created<HerokuDomainOutputs>> {
        const api = this.api();
        const existing = (await api.list<Domain>(`/apps/${inputs.appId}/domains`)).find(
            (d) => d.hostname === inputs.hostname,
        );
        const domain =
            existing ??
            (await api.request<Domain>("POST", `/apps/${inputs.appId}/domains`, {
                body: { hostname: inputs.hostname, sni_endpoint: null },
            }));
        await api.request("POST", `/apps/${inputs.appId}/acm`);
        return { id: domain.id, outs: { ...inputs, cname: domain.cname ?? "" } };
    }

    async diff(id: string, olds: HerokuDomainOutputs, news: HerokuDomainInputs): Promise<DiffResult> {
        const replaces = changedKeys(olds, news, ["appId", "hostname"]);
        return { changes: replaces.length > 0, replaces };
    }

    async delete(id: string, props: HerokuDomainOutputs): Promise<void> {
        await this.api().request("DELETE", `/apps/${props.appId}/domains/${id}`).catch(ignoreNotFound);
    }
}

export class HerokuDomain extends herokuResource<HerokuDomainInputs, HerokuDomainOutputs>("Domain", {
    legacyType: "HerokuDomain",
    outputs: ["cname"],
}) {}
