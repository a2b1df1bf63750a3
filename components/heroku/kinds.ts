/**
 * Every kind of Heroku resource, one module each (resource class, input and output types, provider), and the
 * dispatcher's functions as this module's exports: the entry module of the provider package (./providerPackage.ts),
 * which the dynamic-provider plugin requires. Adding a resource: its own module, and one line here.
 */
export * from "./app";
export * from "./configVars";
export * from "./domain";
export * from "./feature";
export * from "./formation";
export * from "./logDrain";
export * from "./postgres";
export * from "./release";
export { configure, check, diff, create, read, update, delete } from "./resource";
