/** jobs storage (SPEC §3). To be specified. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JobStore {}
