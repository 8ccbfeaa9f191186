/**
 * A random id of `bytes` random bytes, as hex: letters and digits only, so the kernel's id
 * check (at most 64 of `[A-Za-z0-9_-]`) accepts it.
 *
 * @param {number} [bytes]
 * @returns {string}
 */
export function randomId(bytes = 9) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a); // available on plain-http pages too, unlike randomUUID
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}
