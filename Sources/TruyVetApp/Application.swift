import Hummingbird
import Synchronization
import Logging
import TruyVetCore

/// Builds the HTTP application around an opened `TruyVet` (so tests can pass an in-memory one).
public func buildApplication(_ app: TruyVet, logger: Logger = Logger(label: "truyvet")) -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    let known = KnownRoutes()
    AppMetrics.bootstrap()
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(routes: known))
    let routes = Routes(app: app)
    router.add(middleware: AuthMiddleware(routes: routes))
    routes.register(on: router)
    known.set(router.routes.map { (method: $0.method, path: $0.path.description) })
    return Application(
        router: router,
        server: .guardedHTTP1(timeouts: .init(header: app.config.headerTimeout, body: app.config.bodyTimeout, idle: app.config.idleTimeout)),
        configuration: .init(address: .hostname(app.config.host, port: app.config.port), serverName: "truyvet"),
        logger: logger)
}

/// The router's routes (method and path pattern), to tell "no such method here" (405 with `Allow`) from "no such
/// resource" (404).
final class KnownRoutes: Sendable {
    private let routes = Mutex<[(method: HTTPRequest.Method, segments: [Substring])]>([])

    func set(_ list: [(method: HTTPRequest.Method, path: String)]) {
        routes.withLock { $0 = list.map { ($0.method, $0.path.split(separator: "/")) } }
    }

    /// The methods that some route answers at this path, sorted; empty when no route matches it.
    func methods(at path: String) -> [String] {
        let parts = path.split(separator: "/")
        return routes.withLock { all in
            var methods = Set(all.filter { r in
                r.segments.count == parts.count && zip(r.segments, parts).allSatisfy { $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1 }
            }.map(\.method.rawValue))
            if methods.contains("GET") { methods.insert("HEAD") }  // answered for every GET route
            return methods.sorted()
        }
    }
}
