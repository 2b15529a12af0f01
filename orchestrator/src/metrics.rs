//! Prometheus metrics, served at /metrics.

use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub matches: IntCounter,
    pub assignments_sent: IntCounter,
    /// Assignment transactions by outcome (ok, failed, unknown).
    pub assign_transactions: IntCounterVec,
    /// Crank transactions by kind (expire, refund, finalize) and outcome.
    pub crank_actions: IntCounterVec,
    /// Verifier verdicts: attested, disputed, unverified, failed.
    pub verifications: IntCounterVec,
    pub rpc_errors: IntCounterVec,
    /// Account updates applied to the index, by source (websocket, poll, resync).
    pub index_updates: IntCounterVec,
    /// Chain time from posting a job to each replica's assignment.
    pub assign_latency: Histogram,
    pub jobs: IntGaugeVec,
    pub workers: IntGauge,
    pub workers_accepting: IntGauge,
    pub websocket_connected: IntGauge,
    /// Per worker (label `worker`): claimed, proven and rated hashrate, uptime, SLA
    /// breaches and slashes, from its account.
    pub worker_figures: IntGaugeVec,
    pub worker_compute_hours: GaugeVec,
    /// Network-wide: rated hashrate, challenge uptime, challenges by outcome, SLA
    /// breaches and compensation paid.
    pub network_figures: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("ignis_orchestrator".into()), None).expect("valid prefix");
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("valid metric");
            registry.register(Box::new(c.clone())).expect("registered once");
            c
        };
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry.register(Box::new(c.clone())).expect("registered once");
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("valid metric");
            registry.register(Box::new(g.clone())).expect("registered once");
            g
        };
        let assign_latency = Histogram::with_opts(
            HistogramOpts::new(
                "assign_latency_seconds",
                "Chain time from a job's posting to a replica's assignment",
            )
            .buckets(vec![0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0]),
        )
        .expect("valid metric");
        registry.register(Box::new(assign_latency.clone())).expect("registered once");
        let jobs = IntGaugeVec::new(Opts::new("jobs", "Jobs by status"), &["status"])
            .expect("valid metric");
        registry.register(Box::new(jobs.clone())).expect("registered once");
        let worker_figures = IntGaugeVec::new(
            Opts::new(
                "worker",
                "Per worker: claimed_hashrate, proven_hashrate, rated_hashrate (H/s), \
                 uptime_bps, challenges_answered, challenges_missed, sla_breaches, \
                 slashed (base units)",
            ),
            &["worker", "figure"],
        )
        .expect("valid metric");
        registry.register(Box::new(worker_figures.clone())).expect("registered once");
        let worker_compute_hours = GaugeVec::new(
            Opts::new("worker_compute_hours", "Hours of work served at the rated hashrate"),
            &["worker"],
        )
        .expect("valid metric");
        registry.register(Box::new(worker_compute_hours.clone())).expect("registered once");
        let network_figures = IntGaugeVec::new(
            Opts::new(
                "network",
                "Network-wide: proven_hashrate (H/s), uptime_bps, challenges_answered, \
                 challenges_missed, sla_breaches, sla_compensated (base units)",
            ),
            &["figure"],
        )
        .expect("valid metric");
        registry.register(Box::new(network_figures.clone())).expect("registered once");
        Metrics {
            matches: counter("matches_total", "Replicas matched to workers"),
            assignments_sent: counter(
                "assignments_sent_total",
                "Assignments in confirmed assign_jobs instructions (skipped races included)",
            ),
            assign_transactions: counter_vec(
                "assign_transactions_total",
                "Assignment transactions by outcome",
                &["outcome"],
            ),
            crank_actions: counter_vec(
                "crank_actions_total",
                "Crank transactions by kind and outcome",
                &["kind", "outcome"],
            ),
            verifications: counter_vec(
                "verifications_total",
                "Single-replica results verified, by outcome",
                &["outcome"],
            ),
            rpc_errors: counter_vec("rpc_errors_total", "Failed RPC calls by operation", &["op"]),
            index_updates: counter_vec(
                "index_updates_total",
                "Account changes applied to the index, by source",
                &["source"],
            ),
            assign_latency,
            jobs,
            workers: gauge("workers", "Registered workers"),
            workers_accepting: gauge("workers_accepting", "Workers accepting jobs"),
            websocket_connected: gauge(
                "websocket_connected",
                "1 while the account subscription is up",
            ),
            worker_figures,
            worker_compute_hours,
            network_figures,
            registry,
        }
    }

    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("text encoding cannot fail");
        String::from_utf8(buffer).expect("prometheus text is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
