import Hummingbird
import Logging
import TruyVetCore

/// Builds the HTTP application around an opened `TruyVet` (so tests can pass an in-memory one).
public func buildApplication(_ app: TruyVet, logger: Logger = Logger(label: "truyvet")) -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    Routes(app: app).register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(app.config.host, port: app.config.port), serverName: "truyvet"),
        logger: logger)
}
