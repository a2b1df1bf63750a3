/**
 * A Helm repository on loopback serving the stand-in charts of test/support/charts/ under the names and versions
 * pinned in components/k8s/charts.ts: the tests' `actors:chartRepository`. The real charts cannot be fetched here;
 * these stand in for their content only (see test/support/charts/README.md).
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as yaml from "js-yaml";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { CHARTS, PinnedChart } from "../../components/k8s/charts";

const SOURCES = path.join(__dirname, "charts");
const REFERENCE = path.resolve(__dirname, "..", "reference");
/** Upstream values schemas packed into a stand-in, so Helm judges the program's values by the real chart's rules. */
const VALUES_SCHEMAS: Record<string, string> = {
    cluster: "cnpg-cluster-chart-0.8.1.values.schema.json",
    "cloudnative-pg": "cnpg-operator-chart-0.29.0.values.schema.json",
    "cert-manager": "cert-manager-chart-v1.21.1.values.schema.json",
    traefik: "traefik-chart-41.3.0.values.schema.json",
    "plugin-barman-cloud": "plugin-barman-cloud-chart-0.7.0.values.schema.json",
};
/**
 * Upstream default values packed as a stand-in's values.yaml, for charts that publish no values schema (Helm then
 * merges the program's values over the real defaults).
 */
const DEFAULT_VALUES: Record<string, string> = {
    "kube-prometheus-stack": "kube-prometheus-stack-chart-88.5.3.values.yaml",
    "prometheus-operator-crds": "prometheus-operator-crds-chart-31.0.1.values.yaml",
};

export interface ChartRepository {
    /** http://127.0.0.1:<port>: the value for actors:chartRepository. */
    url: string;
    /** Requests served, as "GET /path" (what Helm fetched). */
    requests: string[];
    stop(): Promise<void>;
}

/** The pinned charts that have a stand-in source here. */
function standInCharts(): PinnedChart[] {
    return Object.values(CHARTS).filter((c) => fs.existsSync(path.join(SOURCES, c.chart, "Chart.yaml")));
}

/** Packs one stand-in chart at its pinned version into `outDir`; returns the archive's file name. */
function packChart(pinned: PinnedChart, outDir: string): string {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "chart-"));
    try {
        const dir = path.join(work, pinned.chart);
        fs.cpSync(path.join(SOURCES, pinned.chart), dir, { recursive: true });
        const meta = yaml.load(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as Record<string, unknown>;
        if (meta.name !== pinned.chart) throw new Error(`${pinned.chart}/Chart.yaml names ${meta.name}`);
        fs.writeFileSync(path.join(dir, "Chart.yaml"), yaml.dump({ ...meta, version: pinned.version }));
        const schema = VALUES_SCHEMAS[pinned.chart];
        if (schema) fs.copyFileSync(path.join(REFERENCE, schema), path.join(dir, "values.schema.json"));
        const values = DEFAULT_VALUES[pinned.chart];
        if (values) fs.copyFileSync(path.join(REFERENCE, values), path.join(dir, "values.yaml"));
        const file = `${pinned.chart}-${pinned.version}.tgz`;
        // Fixed owner and times: the same sources give the same archive (and digest).
        execFileSync("tar", [
            "--sort=name",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "--mtime=2026-01-01 00:00:00Z",
            "-czf",
            path.join(outDir, file),
            "-C",
            work,
            pinned.chart,
        ]);
        return file;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** A Helm repository index of the archives in `dir`, each served at `<base>/<file>`. */
function indexYaml(dir: string, base: string, charts: { pinned: PinnedChart; file: string }[]): string {
    const entries: Record<string, unknown[]> = {};
    for (const { pinned, file } of charts) {
        const digest = crypto
            .createHash("sha256")
            .update(fs.readFileSync(path.join(dir, file)))
            .digest("hex");
        const meta = yaml.load(
            execFileSync("tar", ["-xzOf", path.join(dir, file), `${pinned.chart}/Chart.yaml`], { encoding: "utf8" }),
        ) as Record<string, unknown>;
        (entries[pinned.chart] ??= []).push({
            ...meta,
            urls: [`${base}/${file}`],
            digest,
            created: "2026-01-01T00:00:00Z",
        });
    }
    return yaml.dump({ apiVersion: "v1", entries, generated: "2026-01-01T00:00:00Z" });
}

/** Packs every stand-in chart and serves them with an index on 127.0.0.1 (port 0: a free one). */
export async function serveCharts(port = 0): Promise<ChartRepository> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chart-repo-"));
    const charts = standInCharts().map((pinned) => ({ pinned, file: packChart(pinned, dir) }));
    const requests: string[] = [];
    let index = "";
    const server = http.createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        const name = decodeURIComponent((req.url ?? "/").split("?")[0]).replace(/^\/+/, "");
        if (name === "index.yaml") {
            res.writeHead(200, { "content-type": "text/yaml" }).end(index);
            return;
        }
        const chart = charts.find((c) => c.file === name);
        if (!chart) {
            res.writeHead(404).end("not found");
            return;
        }
        res.writeHead(200, { "content-type": "application/gzip" }).end(fs.readFileSync(path.join(dir, chart.file)));
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", resolve);
    });
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    index = indexYaml(dir, url, charts);
    return {
        url,
        requests,
        stop: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
                fs.rmSync(dir, { recursive: true, force: true });
            }),
    };
}
