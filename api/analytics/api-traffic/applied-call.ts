import type { CallKey } from './call.ts';

/** An `api_call` the ingest store has just inserted (a copy of a stored uuid never is): what its rollups need. */
export interface AppliedCall {
  personId: number;
  timestamp: number;
  key: CallKey;
  durationMs: number | undefined;
}
