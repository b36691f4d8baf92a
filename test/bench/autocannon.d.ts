/** The slice of autocannon's API that bench:ingest uses (the package ships no types). */
declare module 'autocannon' {
  interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }
  interface Options {
    url: string;
    method?: string;
    connections?: number;
    duration?: number;
    /** Requests per second across all connections (unset: as fast as the server answers). */
    overallRate?: number;
    headers?: Record<string, string>;
    requests?: Array<{ setupRequest?: (req: RequestParams, context: Record<string, unknown>) => RequestParams }>;
  }
  interface Histogram {
    p50: number;
    p99: number;
    average: number;
    max: number;
  }
  interface Result {
    '2xx': number;
    non2xx: number;
    errors: number;
    timeouts: number;
    latency: Histogram;
    requests: Histogram;
  }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}
