import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix

/// One etcd member's answer: the HTTP status and the body.
struct EtcdHTTPAnswer: Sendable {
    var status: Int
    var body: [UInt8]
}

/// One HTTP/1.1 `POST` to one member over a connection of its own (SwiftNIO's HTTP/1 codec on the
/// shared event-loop group), blocking the calling thread until the answer, an error or the deadline.
/// Never call it on an event-loop thread.
enum EtcdHTTPTransport {
    /// Answers above this size are refused (etcd's answers to our requests are a few hundred bytes).
    static let maximumAnswerBytes = 4 << 20

    static func post(_ endpoint: EtcdEndpoint, path: String, body: [UInt8], connectTimeout: Duration,
                     timeout: Duration, group: any EventLoopGroup) throws(EtcdError) -> EtcdHTTPAnswer {
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: EtcdHTTPAnswer.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(EtcdAnswerCollector(promise: promise))
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.connect(host: endpoint.host, port: endpoint.port).wait()
        } catch {
            promise.fail(error)
            throw .unreachable(endpoint, reason: describe(error))
        }
        let deadline = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(AnswerTimeout())
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: endpoint.description)
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        do {
            return try promise.futureResult.wait()
        } catch is AnswerTimeout {
            throw .timedOut(endpoint, path: path, seconds: Double(timeout.components.seconds)
                                + Double(timeout.components.attoseconds) / 1e18)
        } catch let error as AnswerTooLarge {
            throw .malformedAnswer(endpoint, path: path, reason: "more than \(error.limit) bytes")
        } catch {
            throw .connectionLost(endpoint, path: path, reason: describe(error))
        }
    }

    /// The short form of a NIO error: the errno text for connection failures.
    static func describe(_ error: any Error) -> String {
        if let connection = error as? NIOConnectionError, let first = connection.connectionErrors.first {
            return describe(first.error)
        }
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased() + " (errno \(io.errnoCode))"
        }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout(let amount): return "no connection within \(Double(amount.nanoseconds) / 1e9) s"
            case .ioOnClosedChannel, .alreadyClosed, .eof: return "the member closed the connection"
            default: return "\(channel)"
            }
        }
        if error is AnswerClosedEarly { return "the member closed the connection" }
        return "\(error)"
    }
}

struct AnswerTimeout: Error {}
struct AnswerClosedEarly: Error {}
struct AnswerTooLarge: Error { var limit: Int }

/// Collects one answer (head, body, end) and completes the caller's promise; the connection closes
/// after it (the request said `Connection: close`).
final class EtcdAnswerCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<EtcdHTTPAnswer>
    private var status = 0
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<EtcdHTTPAnswer>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= EtcdHTTPTransport.maximumAnswerBytes else {
                promise.fail(AnswerTooLarge(limit: EtcdHTTPTransport.maximumAnswerBytes))
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            promise.succeed(EtcdHTTPAnswer(status: status, body: body))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(AnswerClosedEarly())
        context.fireChannelInactive()
    }
}
