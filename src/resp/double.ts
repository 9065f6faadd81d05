/**
 * The one parser of RESP double text, for the decoder (`,` replies) and for the reply transforms
 * (RESP2 sends scores and floats as bulk strings): `inf`, `-inf`, `nan` and decimal numbers with
 * an optional exponent. A single left-to-right scan, no regular expression, so hostile input
 * costs time linear in its length, and the decoder caps that length anyway. Pure; imports nothing.
 */

/** Longest double line the decoder accepts: %.17g never needs more than 24 characters. */
export const MAX_DOUBLE_LENGTH = 256;

const charCodeAt = String.prototype.charCodeAt;

/** Digits from `i`; returns the index after them. */
function digits(text: string, i: number): number {
  while (i < text.length) {
    const c = charCodeAt.call(text, i) - 48;
    if (c < 0 || c > 9) break;
    i++;
  }
  return i;
}

/**
 * The number `text` spells, or undefined when it is not a RESP double:
 * `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`, or inf / +inf / -inf / nan / -nan.
 */
export function parseDoubleText(text: string): number | undefined {
  switch (text) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
    case '-nan':
      return NaN;
  }
  const n = text.length;
  let i = 0;
  let c = charCodeAt.call(text, 0);
  if (c === 43 || c === 45) i++; // + -
  const intEnd = digits(text, i);
  let end = intEnd;
  if (charCodeAt.call(text, end) === 46) end = digits(text, end + 1); // .
  // At least one digit before or after the point.
  if (intEnd === i && end <= intEnd + 1) return undefined;
  c = charCodeAt.call(text, end);
  if (c === 101 || c === 69) {
    // e E
    let e = end + 1;
    c = charCodeAt.call(text, e);
    if (c === 43 || c === 45) e++;
    const expEnd = digits(text, e);
    if (expEnd === e) return undefined;
    end = expEnd;
  }
  return end === n ? Number(text) : undefined;
}
