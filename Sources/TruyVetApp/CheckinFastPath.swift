import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TruyVetCore
import NIOHTTPTypes

/// `POST /v1/checkins` answered on the connection's event loop, ahead of the router.
///
/// Check-ins are the traffic that grows with the country; the router's per-request machinery (a task per request and
/// hops between the event loop and the task pool) cost more than the check-in's own work. This handler sits where
/// Hummingbird allows extra channel handlers (after HTTP decoding) and hands the body to `Routes.checkin`, the same
/// function the router's route calls, so both paths give the same answers. Everything else — and a check-in that
/// arrives while an earlier request on the connection is still with the router (pipelining), or that asks for
/// `100-continue` — passes through to the router, so answers keep their order.
final class CheckinFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Mode {
        case idle
        /// Passing a request through to the router until its end.
        case passing
        case collecting(body: ByteBuffer?, close: Bool, tooLarge: Bool)
        case answering(close: Bool)
    }

    private let routes: Routes
    private let logger: Logger
    private var mode = Mode.idle
    /// Requests passed to the router whose answer has not been written yet.
    private var withRouter = 0
    /// Parts that arrived while a check-in was being answered (a pipelining client), read again afterwards.
    private var held: [HTTPRequestPart] = []
    private var readPending = false
    /// The device cookie of the check-in being collected.
    private var device: String?
    private var language = Language.en
    /// The check-in being answered: its id and when it arrived (for the request log).
    private var requestID = ""
    private var started = ContinuousClock.now

    init(routes: Routes, logger: Logger) {
        self.routes = routes
        self.logger = logger
    }

    static func isCheckin(_ head: HTTPRequest) -> Bool {
        head.method == .post && head.path == "/v1/checkins" && head.headerFields[.expect] == nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        read(unwrapInboundIn(data), context: context)
    }

    private func read(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (mode, part) {
        case (.answering, _):
            held.append(part)
        case (.idle, .head(let head)):
            if withRouter == 0 && Self.isCheckin(head) {
                device = Routes.deviceID(cookie: head.headerFields[.cookie])
                language = Language.preferred(head.headerFields[.acceptLanguage])
                let close = head.headerFields[.connection]?.lowercased().contains("close") ?? false
                mode = .collecting(body: nil, close: close, tooLarge: false)
            } else {
                withRouter += 1
                mode = .passing
                context.fireChannelRead(wrapInboundOut(part))
            }
        case (.passing, .end):
            mode = .idle
            context.fireChannelRead(wrapInboundOut(part))
        case (.passing, _), (.idle, _):
            context.fireChannelRead(wrapInboundOut(part))
        case (.collecting(var body, let close, var tooLarge), .body(var chunk)):
            if !tooLarge {
                if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
                if body!.readableBytes > JSON.maxBody { tooLarge = true; body = nil }
            }
            mode = .collecting(body: body, close: close, tooLarge: tooLarge)
        case (.collecting(let body, let close, let tooLarge), .end):
            mode = .answering(close: close)
            answer(body: body ?? ByteBuffer(), tooLarge: tooLarge, context: context)
        case (.collecting, .head):
            // Cannot happen after HTTP decoding; treat as the router would (it closes on unexpected parts).
            context.close(promise: nil)
        }
    }

    private func answer(body: ByteBuffer, tooLarge: Bool, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        requestID = RequestLogMiddleware<AppRequestContext>.newID()
        started = .now
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let done: @Sendable (HTTPAnswer) -> Void = { answer in
            if loop.inEventLoop {
                bound.value.0.write(answer, context: bound.value.1)
            } else {
                loop.execute { bound.value.0.write(answer, context: bound.value.1) }
            }
        }
        if tooLarge {
            return done(JSON.answer(for: HTTPError(.contentTooLarge), logger: logger, path: "/v1/checkins", language: language))
        }
        routes.checkin(body: body, client: context.channel.remoteAddress?.ipAddress ?? "unknown", device: device, language: language,
                       hop: { work in loop.execute(work) }, logger: logger, done: done)
    }

    private func write(_ answer: HTTPAnswer, context: ChannelHandlerContext) {
        guard case .answering(let close) = mode else { return }
        var fields = answer.headers
        fields[.contentLength] = String(answer.body.readableBytes)
        SecurityHeaders.add(to: &fields)
        fields[RequestLogMiddleware<AppRequestContext>.header] = requestID
        var logger = self.logger
        logger[metadataKey: "request"] = "\(requestID)"
        RequestLogMiddleware<AppRequestContext>.log(logger, method: "POST", route: "/v1/checkins", status: Int(answer.status.code), started: started)
        let elapsed = ContinuousClock.now - started
        AppMetrics.fastPathRequest(status: Int(answer.status.code),
                                   nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        if close { fields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(answer.body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        mode = .idle
        if close {
            context.close(promise: nil)
            return
        }
        // Read what a pipelining client sent meanwhile, in order (another check-in may stop at `.answering` again).
        var replayed = false
        while !held.isEmpty {
            if case .answering = mode { break }
            read(held.removeFirst(), context: context)
            replayed = true
        }
        // The router's side takes what it was given at the end of a read burst.
        if replayed { context.fireChannelReadComplete() }
        if case .answering = mode { return }
        if readPending {
            readPending = false
            context.read()
        }
    }

    /// A check-in body the client cut short (or any parse error while collecting one): the JSON 400, then close.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard case .collecting = mode else { return context.fireErrorCaught(error) }
        mode = .answering(close: true)
        requestID = RequestLogMiddleware<AppRequestContext>.newID()
        write(JSON.errorAnswer(JSON.protocolError(error)), context: context)
    }

    /// No reading from the socket while a check-in is being answered (back-pressure on a pipelining client).
    func read(context: ChannelHandlerContext) {
        if case .answering = mode {
            readPending = true
        } else {
            context.read()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { withRouter -= 1 }
        context.write(data, promise: promise)
    }
}
