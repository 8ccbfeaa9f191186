// The loopback rule, one form in JavaScript. Python's form is `is_loopback_host` in
// sv_widgets/wire.py; js/test/rules.test.js and tests/test_front_end_rules.py hold both to
// the cases in js/test/cases/loopback.json.
//
// A host is loopback when, ignoring case and one pair of brackets, it is `localhost`, a name
// under `.localhost` (RFC 6761), an IPv4 address in 127.0.0.0/8 written as four decimal
// octets without leading zeros, or the IPv6 address ::1 in any of its spellings (as Python's
// `ipaddress` reads them: groups of one to four hex digits, one `::` at most, an IPv4 tail).

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEXTET = /^[0-9a-f]{1,4}$/;

/**
 * The four octets of a dotted-decimal IPv4 address, or null when `text` is none.
 *
 * @param {string} text
 * @returns {number[] | null}
 */
function ipv4Octets(text) {
  const m = IPV4.exec(text);
  if (!m) return null;
  const parts = m.slice(1);
  const valid = parts.every((p) => Number(p) <= 255 && (p === "0" || !p.startsWith("0")));
  return valid ? parts.map(Number) : null;
}

/**
 * The 16-bit groups of one side of an IPv6 address's `::`; an IPv4 tail (allowed last only)
 * counts as two groups.
 *
 * @param {string} side
 * @param {boolean} last whether this side ends the address
 * @returns {number[] | null}
 */
function hextets(side, last) {
  if (side === "") return [];
  const parts = side.split(":");
  /** @type {number[]} */
  const groups = [];
  for (const [i, part] of parts.entries()) {
    const v4 = last && i === parts.length - 1 ? ipv4Octets(part) : null;
    if (v4) groups.push(v4[0] * 256 + v4[1], v4[2] * 256 + v4[3]);
    else if (HEXTET.test(part)) groups.push(parseInt(part, 16));
    else return null;
  }
  return groups;
}

/**
 * The eight 16-bit groups of an IPv6 address, or null when `text` is none.
 *
 * @param {string} text lower case, without brackets
 * @returns {number[] | null}
 */
function ipv6Groups(text) {
  const sides = text.split("::");
  if (sides.length > 2) return null;
  const head = hextets(sides[0], sides.length === 1);
  const tail = sides.length === 2 ? hextets(sides[1], true) : [];
  if (!head || !tail) return null;
  const given = head.length + tail.length;
  if (sides.length === 1) return given === 8 ? head : null;
  if (given > 7) return null; // "::" stands for one group at least
  return [...head, ...new Array(8 - given).fill(0), ...tail];
}

/**
 * Whether `host` names this machine (so a browser elsewhere cannot reach it).
 *
 * @param {string} host a host name or IP literal, as `URL.hostname` gives it
 * @returns {boolean}
 */
export function isLoopbackHost(host) {
  let name = String(host).toLowerCase();
  if (name.startsWith("[") && name.endsWith("]")) name = name.slice(1, -1);
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const v4 = ipv4Octets(name);
  if (v4) return v4[0] === 127;
  const v6 = ipv6Groups(name);
  return v6 !== null && v6.every((group, i) => group === (i === 7 ? 1 : 0));
}

/**
 * Whether `url` is an absolute URL on a loopback host; false for anything unparsable.
 *
 * @param {string} url
 * @returns {boolean}
 */
export function isLoopbackUrl(url) {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}
