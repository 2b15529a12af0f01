// The orchestrator's HTTP API and server-sent events (contract: app/README.md).

export interface Assignment {
  worker: string;
  deadline: number;
  committed: boolean;
  revealed: boolean;
}

export type JobStatusName = 'open' | 'running' | 'completed' | 'cancelled' | 'refunded' | 'revealing' | 'challenge';
export const JOB_STATUSES: JobStatusName[] = ['open', 'running', 'completed', 'cancelled', 'refunded', 'revealing', 'challenge'];

export interface JobView {
  id: number;
  address: string;
  poster: string;
  kind: 'pow' | 'matmul' | 'tensor';
  /** The catalog name of its kernel: pow-sha256, matmul-u32, gemm-i8, mlp-i8. */
  kernel?: string;
  /** A tensor job's input blobs (hex SHA-256 and size); empty for other kinds. */
  inputs?: Array<{ sha256: string; size: number }>;
  difficulty: number | null;
  /** n of a matmul job; output rows of a tensor job. */
  size: number | null;
  replicas: number;
  /** Base units. */
  reward: string;
  /** A JobStatusName, or a status newer than this app (shown as is). */
  status: string;
  assignments: Assignment[];
  postedAt: number;
  expiresAt: number;
  completedAt: number;
  resultHash: string;
  powNonce: string;
  requeues: number;
  slot: number;
  /**
   * The job's account was closed on chain (its rent went back to the poster): the
   * orchestrator keeps the job's last state as history. An orchestrator that does not
   * send the field yet reads as false (see `withClosed`).
   */
  closed: boolean;
}

/** A job as the orchestrator sends it: an older one leaves `closed` out. */
export type ApiJob = Omit<JobView, 'closed'> & { closed?: boolean | null };

/** A job from the orchestrator with `closed` a boolean: false when the field is missing. */
export function withClosed(job: ApiJob): JobView {
  return { ...job, closed: job.closed === true };
}

/**
 * A tensor job's output kept for its poster (`GET /api/jobs/{id}/outputs`): one per
 * distinct revealed root a replica uploaded. The one to download has the job's
 * `resultHash` as its root and the job's `postedAt`.
 */
export interface JobOutputView {
  jobId: number;
  postedAt: number;
  /** Hex Merkle root over the output's rows. */
  root: string;
  /** The blob that holds the `.npy`. */
  sha256: string;
  size: number;
}

export interface WorkerView {
  address: string;
  operator: string;
  gpuModel: string;
  vramMb: number;
  computeCapability: string | number;
  kernels: string[];
  hashrate: number;
  minPrice: string;
  maxConcurrentJobs: number;
  activeJobs: number;
  accepting: boolean;
  jobsCompleted: number;
  jobsMissed: number;
  jobsDisputed: number;
  earnedTotal: string;
  stake: string;
}

export interface HistoryPoint {
  t: number;
  jobsCompleted: number;
  jobsOpen: number;
  hashrate: number;
}

export interface Stats {
  slot: number;
  workersOnline: number;
  gpus: number;
  jobsByStatus: Record<JobStatusName, number>;
  hashrate: number;
  volume: string;
  totalStaked: string;
  emissionRate: string;
  mint: string;
  history: HistoryPoint[];
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface EventHandlers {
  job?: (job: JobView) => void;
  worker?: (worker: WorkerView) => void;
  stats?: (stats: Stats) => void;
  /** true when the stream is open, false when it dropped (the browser retries). */
  status?: (online: boolean) => void;
}

export class Orchestrator {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 5_000,
  ) {}

  private async get<T>(path: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch {
      throw new ApiError(`The orchestrator at ${this.baseUrl} is unreachable`);
    }
    if (!response.ok) {
      let message = `The orchestrator answered ${response.status}`;
      try {
        const body = (await response.json()) as { error?: string };
        if (body.error) message = body.error;
      } catch {
        /* not JSON */
      }
      throw new ApiError(message, response.status);
    }
    return (await response.json()) as T;
  }

  async jobs(filter: { status?: string; poster?: string; limit?: number } = {}): Promise<JobView[]> {
    const params = new URLSearchParams();
    if (filter.status) params.set('status', filter.status);
    if (filter.poster) params.set('poster', filter.poster);
    if (filter.limit) params.set('limit', String(filter.limit));
    const query = params.toString();
    return (await this.get<{ jobs: ApiJob[] }>(`/api/jobs${query ? `?${query}` : ''}`)).jobs.map(withClosed);
  }

  /** The job, or null when the orchestrator does not know it (404). */
  async job(id: number | bigint): Promise<JobView | null> {
    try {
      return withClosed(await this.get<ApiJob>(`/api/jobs/${id}`));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  /** A tensor job's outputs kept for its poster. */
  async outputs(id: number | bigint): Promise<JobOutputView[]> {
    return this.get<JobOutputView[]>(`/api/jobs/${id}/outputs`);
  }

  async workers(): Promise<WorkerView[]> {
    return (await this.get<{ workers: WorkerView[] }>('/api/workers')).workers;
  }

  async stats(): Promise<Stats> {
    return this.get<Stats>('/api/stats');
  }

  /** Subscribes to `/api/events`; returns the function that closes the stream. */
  subscribe(handlers: EventHandlers): () => void {
    if (typeof EventSource === 'undefined') return () => {};
    const source = new EventSource(`${this.baseUrl}/api/events`);
    const on = <T>(name: string, handler?: (value: T) => void) => {
      if (!handler) return;
      source.addEventListener(name, (event) => {
        try {
          handler(JSON.parse((event as MessageEvent<string>).data) as T);
        } catch {
          /* a malformed event is skipped */
        }
      });
    };
    const onJob = handlers.job;
    on<ApiJob>('job', onJob && ((job) => onJob(withClosed(job))));
    on('worker', handlers.worker);
    on('stats', handlers.stats);
    source.addEventListener('open', () => handlers.status?.(true));
    source.addEventListener('error', () => handlers.status?.(false));
    return () => source.close();
  }
}
