import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 channel with `ConnectionGuard` below its HTTP codec, where the request's HTTP version and the
/// raw parts are still visible.
struct GuardedHTTP1Channel: HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel
    let timeouts: ConnectionGuard.Timeouts
    var responder: Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let codec = try channel.pipeline.syncOperations.context(handlerType: HTTP1ToHTTPServerCodec.self)
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard(timeouts: timeouts), position: .before(codec.handler))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the connection guard.
    static func guardedHTTP1(timeouts: ConnectionGuard.Timeouts) -> HTTPServerBuilder {
        .init { responder in
            GuardedHTTP1Channel(base: HTTP1Channel(responder: responder),
                                timeouts: timeouts)
        }
    }
}

/// Keeps one connection from holding the server: a request's headers must arrive within `header` (the first) or
/// `idle` (the next ones on a kept-alive connection), its body within `body`; otherwise the connection is closed.
/// HTTP/1.0 connections (and any with `Connection: close`) are closed after their answer unless keep-alive was asked.
/// A request the HTTP parser cannot read gets the product's JSON error, not an empty 400.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Timeouts: Sendable {
        var header: TimeAmount
        var body: TimeAmount
        var idle: TimeAmount

        init(header: Double, body: Double, idle: Double) {
            func amount(_ s: Double) -> TimeAmount { .milliseconds(Int64(s * 1000)) }
            self.header = amount(header)
            self.body = amount(body)
            self.idle = amount(idle)
        }
    }

    private let timeouts: Timeouts
    private var timer: Scheduled<Void>?
    /// Whether a request's head has been read and its end not yet.
    private var readingRequest = false
    /// Per request whose answer is not finished yet, oldest first: (keep alive, HTTP/1.0).
    private var pending: [(keepAlive: Bool, http10: Bool)] = []
    private var servedOne = false

    init(timeouts: Timeouts) {
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { waitForHead(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        waitForHead(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            readingRequest = true
            pending.append((head.isKeepAlive, head.version.major == 1 && head.version.minor == 0))
            schedule(context, after: timeouts.body)
        case .body:
            break
        case .end:
            readingRequest = false
            cancelTimer()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if let request = pending.first {
                if !request.keepAlive {
                    head.headers.replaceOrAdd(name: "connection", value: "close")
                } else if request.http10 {
                    head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
                }
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            let request = pending.isEmpty ? nil : pending.removeFirst()
            servedOne = true
            if let request, !request.keepAlive {
                context.writeAndFlush(data).whenComplete { result in
                    promise?.completeWith(result)
                    context.close(promise: nil)
                }
                return
            }
            context.write(data, promise: promise)
            if pending.isEmpty && !readingRequest { waitForHead(context) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request that could not be parsed while no other is in flight: answer it here, with the JSON error, and
        // close. (A body cut short while a handler reads it reaches that handler, which answers 400 itself.)
        if error is HTTPParserError, !readingRequest, pending.isEmpty {
            cancelTimer()
            let answer = JSON.errorAnswer(JSON.protocolError(error))
            var headers = HTTPHeaders([("content-type", HTTPAnswer.jsonType), ("content-length", String(answer.body.readableBytes)),
                                       ("connection", "close")])
            headers.replaceOrAdd(name: "server", value: "truyvet")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.fireErrorCaught(error)
    }

    private func waitForHead(_ context: ChannelHandlerContext) {
        schedule(context, after: servedOne ? timeouts.idle : timeouts.header)
    }

    private func schedule(_ context: ChannelHandlerContext, after delay: TimeAmount) {
        cancelTimer()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) { loopBound.value.close(promise: nil) }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}
