import Foundation
import Hummingbird
import Metrics
import Prometheus
import TruyVetCore

/// Operational figures in Prometheus' text format at `GET /metrics`: requests per route, method and status with their
/// durations (Hummingbird's metrics middleware), check-ins committed, group commit batch sizes,
/// store errors, purge progress and rate-limit refusals. Routes are patterns, never paths typed,
/// so no label ever carries a phone number.
public enum AppMetrics {
    /// The one registry of the process (the metrics system can be set up only once).
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Sets the metrics system up (idempotent).
    public static func bootstrap() { _ = registry }

    static func rateLimited(_ limit: String) {
        Metrics.Counter(label: "truyvet_rate_limited_total", dimensions: [("limit", limit)]).increment()
    }

    static func purged(visits: Int, people: Int, records: Int) {
        Metrics.Counter(label: "truyvet_purged_visits_total").increment(by: visits)
        Metrics.Counter(label: "truyvet_purged_people_total").increment(by: people)
        Metrics.Counter(label: "truyvet_purged_records_total").increment(by: records)
        Metrics.Gauge(label: "truyvet_purge_last_run_seconds").record(Date().timeIntervalSince1970)
    }

    static func storeError() { Metrics.Counter(label: "truyvet_store_errors_total").increment() }
}

extension Routes {
    /// `GET /metrics`: admins, or whoever holds `TRUYVET_METRICS_TOKEN` (a scraper needs no other right).
    func metrics(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        if let token = app.config.metricsToken, header == "Bearer \(token)" {
            // the scraper's token
        } else {
            try await principal(request, context).require(.admin)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: AppMetrics.registry.emitToBuffer())))
    }
}
