import { Domain, HerokuApiError, LogDrain } from "./api";
import { HerokuProvider } from "./provider";

const ignoreNotFound = (err: unknown) => {
    if (!(err instanceof HerokuApiError && err.status === 404)) throw err;
};

/** A custom domain, with Automated Certificate Management turned on for the app. */
export class DomainProvider extends HerokuProvider {
    async create(inputs: { appId: string; hostname: string }) {
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

    async diff(id: string, olds: any, news: any) {
        const replaces = ["appId", "hostname"].filter((k) => olds[k] !== news[k]);
        return { changes: replaces.length > 0, replaces };
    }

    async delete(id: string, props: { appId: string }) {
        await this.api().request("DELETE", `/apps/${props.appId}/domains/${id}`).catch(ignoreNotFound);
    }
}

/** A log drain: the app's log stream sent to a syslog or HTTPS endpoint. The URL is a secret (it carries tokens). */
export class LogDrainProvider extends HerokuProvider {
    async create(inputs: { appId: string; url: string }) {
        const api = this.api();
        const existing = (await api.list<LogDrain>(`/apps/${inputs.appId}/log-drains`)).find(
            (d) => d.url === inputs.url,
        );
        const drain =
            existing ??
            (await api.request<LogDrain>("POST", `/apps/${inputs.appId}/log-drains`, { body: { url: inputs.url } }));
        return { id: drain.id, outs: inputs };
    }

    async diff(id: string, olds: any, news: any) {
        const replaces = ["appId", "url"].filter((k) => olds[k] !== news[k]);
        return { changes: replaces.length > 0, replaces };
    }

    async delete(id: string, props: { appId: string }) {
        await this.api().request("DELETE", `/apps/${props.appId}/log-drains/${id}`).catch(ignoreNotFound);
    }
}

/** An app feature flag, such as preboot. */
export class AppFeatureProvider extends HerokuProvider {
    async create(inputs: { appId: string; feature: string; enabled: boolean }) {
        await this.api().request("PATCH", `/apps/${inputs.appId}/features/${inputs.feature}`, {
            body: { enabled: inputs.enabled },
        });
        return { id: `${inputs.appId}/${inputs.feature}`, outs: inputs };
    }

    async update(id: string, olds: any, news: { appId: string; feature: string; enabled: boolean }) {
        return { outs: (await this.create(news)).outs };
    }

    async delete(id: string, props: { appId: string; feature: string }) {
        await this.api()
            .request("PATCH", `/apps/${props.appId}/features/${props.feature}`, { body: { enabled: false } })
            .catch(ignoreNotFound);
    }
}
