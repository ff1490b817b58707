import Hummingbird
import Logging
import TruyVetCore

/// Builds the HTTP application around an opened `TruyVet` (so tests can pass an in-memory one).
public func buildApplication(_ app: TruyVet, logger: Logger = Logger(label: "truyvet")) -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    let routes = Routes(app: app)
    routes.register(on: router)
    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [CheckinFastPath(routes: routes, logger: logger)])),
        configuration: .init(address: .hostname(app.config.host, port: app.config.port), serverName: "truyvet"),
        logger: logger)
}
