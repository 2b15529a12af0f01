// The orchestrator's HTTP API and server-sent events (contract: app/README.md).

export interface Assignment {
  worker: string;
  deadline: number;
  committed: boolean;
  revealed: boolean;
}

export type JobStatusName = 'open' | 'running' | 'completed' | 'cancelled' | 'refunded' | 'revealing' | 'challenge';
export const JOB_STATUSES: JobStatusName[] = ['open', 'running', 'completed', 'cancelled', 'refunded', 'revealing', 'challenge'];

/** `SlaTerms`: the service level a poster bought for the job (`buy_sla`). */
export interface SlaView {
  compensationBps: number;
  minUptimeBps: number;
  /** Base units paid for it. */
  premium: string;
}

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
  /**
   * The job's SLA, null without one. Undefined when the source does not say (an
   * orchestrator that does not list SLAs): My jobs then falls back to what this
   * browser bought (lib/jobTxs.ts).
   */
  sla?: SlaView | null;
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

/**
 * What capacity challenges proved of a worker (`Capacity`), beside its claim
 * (`WorkerView.hashrate`).
 */
export interface CapacityView {
  /** Moving average of the rates its answers proved, H/s; 0 before the first. */
  provenHashrate: number;
  /** What assignment trusts: the claim, cut to what challenges proved, H/s. */
  ratedHashrate: number;
  /** Challenges answered in time over its last 64, basis points (10000 before any). */
  uptimeBps: number;
  challengesAnswered: number;
  challengesMissed: number;
  /** Missed its last 3 challenges: no new jobs until it answers one. */
  suspended: boolean;
  /** The open challenge's deadline (protocol time), null when none is open. */
  challengeDeadline: number | null;
  /** Hours of work served at its rated hashrate. */
  computeHours: number;
  slaBreaches: number;
}

export interface WorkerView {
  address: string;
  operator: string;
  gpuModel: string;
  vramMb: number;
  computeCapability: string | number;
  kernels: string[];
  /** The operator's claim (`settings.hashrate`), H/s: assignment trusts the lower of it and `capacity.ratedHashrate`. */
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
  /**
   * Base units slashed from its operator, and what challenges proved. An orchestrator
   * older than capacity challenges leaves both out: the pages show a dash.
   */
  slashedTotal?: string;
  capacity?: CapacityView;
}

export interface HistoryPoint {
  t: number;
  jobsCompleted: number;
  jobsOpen: number;
  /** Claimed hashrate of the workers accepting jobs, H/s. */
  hashrate: number;
  /** Their rated (proven) hashrate, H/s; absent from an orchestrator older than capacity challenges. */
  provenHashrate?: number;
  /** The network's challenge uptime, basis points. */
  uptimeBps?: number;
}

/**
 * What capacity challenges proved network-wide, and the SLAs sold on it (`GET
 * /api/stats`). An orchestrator older than capacity challenges leaves these out.
 */
export interface ProvenStats {
  /** Rated hashrate of the workers accepting jobs (claims cut to what challenges proved), H/s. */
  provenHashrate: number;
  /** The network's challenge uptime (`Config.networkUptime`), basis points. */
  uptimeBps: number;
  challengesAnswered: number;
  challengesMissed: number;
  /** Hours of work served at the workers' rated hashrates. */
  computeHours: number;
  /** Deadlines of SLA jobs missed. */
  slaBreaches: number;
  /** Base units of stake paid to SLA posters for those misses. */
  slaCompensated: string;
  /** What an SLA costs a one-replica job now, base units. */
  slaPremium: string;
  /** What an SLA pays at least per missed replica, base units. */
  slaMinCompensation: string;
}

export interface Stats extends Partial<ProvenStats> {
  slot: number;
  workersOnline: number;
  gpus: number;
  jobsByStatus: Record<JobStatusName, number>;
  /** Claimed hashrate of the workers accepting jobs, H/s. */
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
