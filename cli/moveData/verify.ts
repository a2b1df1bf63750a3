/** Comparing two databases table by table: row count and checksum, and sequence positions. */
import { TableSummary } from "./inspect";

export interface Comparison {
    lines: string[];
    differences: string[];
}

/** A printable table of both sides' figures, and every difference (empty: identical). */
export function compare(
    leftName: string,
    left: TableSummary[],
    rightName: string,
    right: TableSummary[],
    leftSeq: Map<string, string>,
    rightSeq: Map<string, string>,
): Comparison {
    const lines = [
        `table | ${leftName} rows | ${rightName} rows | ${leftName} checksum | ${rightName} checksum | same`,
    ];
    const differences: string[] = [];
    const names = [...new Set([...left, ...right].map((s) => s.table))].sort();
    for (const name of names) {
        const a = left.find((s) => s.table === name);
        const b = right.find((s) => s.table === name);
        const same = Boolean(a && b && a.rows === b.rows && a.checksum === b.checksum);
        lines.push(
            `${name} | ${a?.rows ?? "-"} | ${b?.rows ?? "-"} | ${a?.checksum ?? "-"} | ${b?.checksum ?? "-"} | ${same ? "yes" : "NO"}`,
        );
        if (!same)
            differences.push(
                `${name}: ${leftName} ${a ? `${a.rows} rows, ${a.checksum}` : "missing"}; ` +
                    `${rightName} ${b ? `${b.rows} rows, ${b.checksum}` : "missing"}`,
            );
    }
    for (const name of [...new Set([...leftSeq.keys(), ...rightSeq.keys()])].sort()) {
        const a = leftSeq.get(name);
        const b = rightSeq.get(name);
        lines.push(`sequence ${name} | last value ${a ?? "-"} | ${b ?? "-"} | | | ${a === b ? "yes" : "NO"}`);
        if (a !== b)
            differences.push(`sequence ${name}: ${leftName} at ${a ?? "missing"}, ${rightName} at ${b ?? "missing"}`);
    }
    return { lines, differences };
}
