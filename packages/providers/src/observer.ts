/** What a client reports about each HTTP request it makes, for metrics and the per-batch log line. */
export interface RequestRecord {
  provider: 'meta' | 'google';
  /** HTTP status, or undefined when no response arrived (network error, timeout). */
  httpStatus: number | undefined;
  durationMs: number;
  /** Events or rows in the request. */
  batchSize: number;
  /** Bounded error code when the request as a whole failed. */
  errorCode?: string;
  /**
   * The provider warned that the configured API version is deprecated or near its end (Meta's
   * `X-Ad-Api-Version-Warning` header), at most 300 characters of its text.
   */
  versionWarning?: string;
}

export type RequestObserver = (record: RequestRecord) => void;
