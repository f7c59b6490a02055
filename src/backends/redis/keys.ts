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
 * | `sin:<id>` | sorted set | idempotency key scored by its `n` (the session version it made); the newest 1,000 kept |
 * | `sa:<alias>` | string | the id of the session holding the alias (its own key, so a write can guard it) |
 * | `sessions` | sorted set (lex) | `<updatedAt>\0<id>` of every session |
 * | `sessions:g:<groupId>` | sorted set (lex) | the same, per group |
 * | `sessions:t:<tag>` | sorted set (lex) | the same, per tag |
 * | `g:<id>` | string | group record JSON |
 * | `groups` | sorted set (lex) | every group id (member = id), byte order = code point order |
 * | `p:<id>` | string | plan record JSON without `body` (what lists return; the write guard) |
 * | `pb:<id>` | string | plan body as a JSON string (keeps lone surrogates exact) |
 * | `plans` | sorted set (lex) | `<createdAt>\0<id>` of every plan |
 * | `plans:s:<sessionId>` | sorted set (lex) | the same, per session |
 * | `plans:st:<status>` | sorted set (lex) | the same, per status |
 * | `history` | sorted set | shell history: score seq, member entry JSON |
 * | `history:seq` | string | `<lastSeq>,<keyed>`: last seq ever assigned, keyed appends ever made (the write guard) |
 * | `history:idem` | hash | idempotency key → "firstSeq,lastSeq" |
 * | `history:idemn` | sorted set | idempotency key scored by its `keyed` number (newest 1,000 kept) |
 * | `l:<idHash>` | string | ledger turn JSON; its existence is the dedup decision |
 * | `ledger` | sorted set (lex) | `<ts>\0<idHash>` of every turn |
 * | `ledger:<dim>:<value>` | sorted set (lex) | the same, per session/project/model/source/host value |
 * | `j:<id>` | string | job record JSON (guard of definition and bookkeeping writes) |
 * | `jr:<jobId>` | string | the job's run revision: a fresh random token set by every write to the job's runs (the per-job run guard, read with the job). Unlike `kt:` it goes with its job: a recreated job's token is new and random, so a guard never sees an old value again, and the `j:` key read beside it covers absent → absent |
 * | `jobs` | sorted set (lex) | every job id (member = id) |
 * | `jobs:on`, `jobs:off` | sorted set (lex) | the same, per enabled flag |
 * | `jobs:due` | sorted set | job id scored by nextRunAt (epoch ms): jobs that have one (enabled jobs) |
 * | `r:<runId>` | string | run record JSON |
 * | `rs:<scheduledFor>:<jobId>` | string | the slot's run id (fireSlot and restored runs); lives and goes with that run |
 * | `runs` | sorted set (lex) | `<scheduledFor>\0<runId>` of every run |
 * | `runs:j:<jobId>` | sorted set (lex) | the same, per job |
 * | `runs:st:<status>` | sorted set (lex) | the same, per status |
 * | `runs:js:<status>:<jobId>` | sorted set (lex) | the same, per job and status |
 * | `runs:ev` | sorted set (lex) | no longer written (before the storage core: pending runs of event jobs); left behind by older versions, never read |
 * | `cs:<id>` | string | changeset JSON plus its private `lastSeq` (the write guard) |
 * | `ce:<id>` | sorted set | changeset entries: score seq, member entry JSON |
 * | `csp:<planId>` | sorted set (lex) | `<createdAt>\0<id>` of the plan's changesets |
 * | `iv:<id>` | string | tool invocation JSON |
 * | `ivp:<planId>` | sorted set (lex) | `<startedAt>\0<id>` of the plan's invocations |
 * | `kt:<scope>\0<threadId>` | string | checkpoint thread revision: the guard of every record of the thread; set to the next revision by every write to it, never deleted |
 * | `kn:<scope>\0<threadId>` | set | the thread's checkpoint namespaces |
 * | `kc:<scope>\0<threadId>\0<ns>\0<id>` | string | checkpoint record JSON (without values and writes) |
 * | `ks:<scope>` | sorted set (lex) | `<id>\0<threadId>\0<ns>` of every checkpoint of the scope (reverse order = newest first) |
 * | `kx:<scope>\0<threadId>` | sorted set (lex) | `<id>\0<ns>` of every checkpoint of the thread |
 * | `kv:<scope>\0<threadId>\0<ns>` | hash | channel values: `["<channel>","<version>"]` → `{type, value?}` JSON |
 * | `kw:<scope>\0<threadId>\0<ns>\0<checkpointId>` | hash | pending writes: `<taskId>\0<idx>` → write JSON |
 * | `kwi:<scope>\0<threadId>\0<ns>` | set | checkpoint ids that have a `kw:` hash |
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
  appendOrder = (id: string) => `${this.prefix}sin:${id}`;
  alias = (alias: string) => `${this.prefix}sa:${alias}`;
  sessionsByGroup = (groupId: string) => `${this.prefix}sessions:g:${groupId}`;
  sessionsByTag = (tag: string) => `${this.prefix}sessions:t:${tag}`;
  group = (id: string) => `${this.prefix}g:${id}`;
  groups = () => `${this.prefix}groups`;
  plan = (id: string) => `${this.prefix}p:${id}`;
  planBody = (id: string) => `${this.prefix}pb:${id}`;
  plans = () => `${this.prefix}plans`;
  plansBySession = (sessionId: string) => `${this.prefix}plans:s:${sessionId}`;
  plansByStatus = (status: string) => `${this.prefix}plans:st:${status}`;
  history = () => `${this.prefix}history`;
  historySeq = () => `${this.prefix}history:seq`;
  historyIdem = () => `${this.prefix}history:idem`;
  historyIdemOrder = () => `${this.prefix}history:idemn`;
  turn = (idHash: string) => `${this.prefix}l:${idHash}`;
  turns = () => `${this.prefix}ledger`;
  turnsBy = (dim: "session" | "project" | "model" | "source" | "host", value: string) => `${this.prefix}ledger:${dim}:${value}`;
  job = (id: string) => `${this.prefix}j:${id}`;
  jobRuns = (jobId: string) => `${this.prefix}jr:${jobId}`;
  jobs = (filter?: "on" | "off" | "due") => `${this.prefix}jobs${filter === undefined ? "" : ":" + filter}`;
  run = (id: string) => `${this.prefix}r:${id}`;
  /** scheduledFor is a normalized ISO time, so the split between it and the job id is unambiguous. */
  slot = (scheduledFor: string, jobId: string) => `${this.prefix}rs:${scheduledFor}:${jobId}`;
  runs = () => `${this.prefix}runs`;
  runsOfJob = (jobId: string) => `${this.prefix}runs:j:${jobId}`;
  runsByStatus = (status: string) => `${this.prefix}runs:st:${status}`;
  runsOfJobByStatus = (status: string, jobId: string) => `${this.prefix}runs:js:${status}:${jobId}`;
  changeset = (id: string) => `${this.prefix}cs:${id}`;
  changesetEntries = (id: string) => `${this.prefix}ce:${id}`;
  changesetsOfPlan = (planId: string) => `${this.prefix}csp:${planId}`;
  invocation = (id: string) => `${this.prefix}iv:${id}`;
  invocationsOfPlan = (planId: string) => `${this.prefix}ivp:${planId}`;
  /** Any other domain's keys: `<tag>:<rest>`. */
  key = (...parts: string[]) => this.prefix + parts.join(":");
}

/** A member of a lexicographic sorted set that sorts by `sortKey`, ties by id (ids hold no NUL). */
export const lexMember = (sortKey: string, id: string) => `${sortKey}\0${id}`;
export const lexId = (member: string) => member.slice(member.indexOf("\0") + 1);
