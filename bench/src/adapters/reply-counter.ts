/**
 * The raw baseline's whole "decoder": counts complete top-level replies in a byte stream
 * without building any value. Enough for the replies the benchmarks provoke (simple
 * strings, errors, integers, bulk strings, RESP2 nulls); aggregates are not supported.
 * Pure: no I/O.
 */

const DOLLAR = 36;
const MINUS = 45;
const LF = 10;

const enum State {
  Start,
  Line,
  BulkLength,
  BulkBody,
}

export class ReplyCounter {
  #state = State.Start;
  #length = 0;
  #negative = false;
  #skip = 0;
  /** Error replies seen so far, so a batch of failures is not taken for success. */
  errors = 0;

  /** Feeds one chunk; returns how many replies it completed. */
  feed(chunk: Buffer): number {
    let done = 0;
    let i = 0;
    const end = chunk.length;
    while (i < end) {
      switch (this.#state) {
        case State.Start: {
          const type = chunk[i++];
          if (type === DOLLAR) {
            this.#state = State.BulkLength;
            this.#length = 0;
            this.#negative = false;
          } else {
            if (type === MINUS) this.errors++;
            this.#state = State.Line;
          }
          break;
        }
        case State.Line: {
          const lf = chunk.indexOf(LF, i);
          if (lf === -1) {
            i = end;
          } else {
            i = lf + 1;
            this.#state = State.Start;
            done++;
          }
          break;
        }
        case State.BulkLength: {
          const c = chunk[i++] as number;
          if (c >= 48 && c <= 57) this.#length = this.#length * 10 + (c - 48);
          else if (c === MINUS) this.#negative = true;
          else if (c === LF) {
            if (this.#negative) {
              this.#state = State.Start;
              done++;
            } else {
              this.#skip = this.#length + 2;
              this.#state = State.BulkBody;
            }
          }
          break;
        }
        case State.BulkBody: {
          const take = Math.min(this.#skip, end - i);
          i += take;
          this.#skip -= take;
          if (this.#skip === 0) {
            this.#state = State.Start;
            done++;
          }
          break;
        }
      }
    }
    return done;
  }
}
