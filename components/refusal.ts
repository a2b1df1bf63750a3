/**
 * An error a dynamic provider throws to refuse an operation, printed by the engine as one line with its advice and no
 * stack trace: the plugin prints `${error}: ${error.stack}`, so an unnamed error whose "stack" is the advice reads as
 * "<what was refused>: <what to do>".
 */
export function refusal(what: string, advice: string): Error {
    const error = new Error(what);
    error.name = "";
    error.stack = advice;
    return error;
}
