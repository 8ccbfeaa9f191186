/** @import { AnyModel } from "@anywidget/types" */

/**
 * Listen to a model's events; returns the function that stops listening to all of them.
 *
 * @param {AnyModel<any>} model
 * @param {ReadonlyArray<readonly [string, (...args: any[]) => void]>} events
 * @returns {() => void}
 */
export function listen(model, events) {
  for (const [name, fn] of events) model.on(name, fn);
  return () => {
    for (const [name, fn] of events) model.off(name, fn);
  };
}
