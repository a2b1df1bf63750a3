/**
 * test/reference/: the upstream schemas, copied unchanged (provenance in its README), that the tests and the Heroku
 * emulator validate against. Data only: reading it imports nothing from test/.
 */
import * as fs from "fs";
import * as path from "path";

export const REFERENCE = path.resolve(__dirname, "..", "test", "reference");

/** One JSON file of test/reference. */
export function readReference(file: string): any {
    return JSON.parse(fs.readFileSync(path.join(REFERENCE, file), "utf8"));
}
