/**
 * The key layout under the prefix (default `agentstate:`). Ids are binary-safe in Redis keys; each
 * kind of key has its own short tag, so no id can make one key look like another.
 *
 * | key | type | holds |
 * |---|---|---|
 * | `changes` | stream | the change log; entry field `c` is the change JSON; ids are cursors |
 * | `meta` | hash | `prunedThrough` (change cursor), schema version |
 * | `s:<id>` | string | session record JSON |
 * | `m:<id>` | sorted set | messages: score seq, member message JSON |
 * | `si:<id>` | hash | idempotency key → "firstSeq,lastSeq" |
 * | `sessions` | sorted set (lex) | `<updatedAt>\0<id>` of every session |
 * | `sessions:g:<groupId>` | sorted set (lex) | the same, per group |
 * | `sessions:t:<tag>` | sorted set (lex) | the same, per tag |
 */
export class Keys {
  readonly changes: string;
  readonly meta: string;
  readonly sessions: string;

  constructor(readonly prefix: string) {
    this.changes = `${prefix}changes`;
    this.meta = `${prefix}meta`;
    this.sessions = `${prefix}sessions`;
  }

  session = (id: string) => `${this.prefix}s:${id}`;
  messages = (id: string) => `${this.prefix}m:${id}`;
  appends = (id: string) => `${this.prefix}si:${id}`;
  sessionsByGroup = (groupId: string) => `${this.prefix}sessions:g:${groupId}`;
  sessionsByTag = (tag: string) => `${this.prefix}sessions:t:${tag}`;
  /** Any other domain's keys: `<tag>:<rest>`. */
  key = (...parts: string[]) => this.prefix + parts.join(":");
}

/** A member of a lexicographic sorted set that sorts by `sortKey`, ties by id (ids hold no NUL). */
export const lexMember = (sortKey: string, id: string) => `${sortKey}\0${id}`;
export const lexId = (member: string) => member.slice(member.indexOf("\0") + 1);
