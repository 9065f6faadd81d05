/**
 * The one way a reply's field becomes a property of a plain object, for the decoder (RESP3 maps)
 * and the reply transforms (RESP2 flat arrays, `Map`s, stream messages). A field named
 * `__proto__` would otherwise set the object's prototype (or be dropped): it is defined as an
 * own, enumerable property instead, like every other field. Pure; imports nothing.
 */
export function setField<V>(record: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}
